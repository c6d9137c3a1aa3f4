//! Folding of the detail pane's JSON trees: which lines a folded node hides, and which nodes
//! start folded. The lines keep their tree depth; a node's subtree is the lines after it that
//! are deeper.

use super::detail::{Detail, Line};
use std::collections::HashSet;

/// Trees longer than this open with their nodes below the top level folded.
const FOLD_OVER: usize = 300;

impl Detail {
    /// The nodes folded when the event is first shown: none in small trees; in a long one
    /// (over FOLD_OVER lines) every node below its top level, so its outline fits the pane.
    pub fn default_folds(&self) -> HashSet<usize> {
        let lines = if self.full.is_empty() {
            &self.lines
        } else {
            &self.full
        };
        let mut out = HashSet::new();
        let mut i = 0;
        while i < lines.len() {
            let l = &lines[i];
            if l.foldable {
                let end = subtree_end(lines, i);
                if end - i > FOLD_OVER {
                    // A long tree: fold each node under the root.
                    out.extend((i + 1..end).filter(|&k| lines[k].foldable));
                }
                i = end;
            } else {
                i += 1;
            }
        }
        out
    }

    /// Show the lines with the nodes in `folded` (indices into every line) closed.
    pub fn set_folds(&mut self, folded: &HashSet<usize>) {
        if self.full.is_empty() {
            self.full = std::mem::take(&mut self.lines);
        }
        self.lines.clear();
        self.origin.clear();
        let mut i = 0;
        while i < self.full.len() {
            let l = &self.full[i];
            let mut shown = l.clone();
            let mut next = i + 1;
            if l.foldable {
                let closed = folded.contains(&i);
                shown.text = format!("{} {}", if closed { '▸' } else { '▾' }, l.text);
                if closed {
                    next = subtree_end(&self.full, i);
                }
            }
            self.lines.push(shown);
            self.origin.push(i);
            i = next;
        }
    }

    /// Index among every line of a shown line (what `set_folds` takes).
    pub fn full_index(&self, shown: usize) -> Option<usize> {
        self.origin.get(shown).copied()
    }

    /// Where a line (index among every line) is shown now, if it is.
    pub fn shown_index(&self, full: usize) -> Option<usize> {
        self.origin.iter().position(|&o| o == full)
    }
}

/// End (exclusive) of the subtree whose node is line `i`: the next line not deeper than it.
fn subtree_end(lines: &[Line], i: usize) -> usize {
    let d = lines[i].depth;
    lines[i + 1..]
        .iter()
        .position(|l| l.depth <= d)
        .map_or(lines.len(), |p| i + 1 + p)
}
