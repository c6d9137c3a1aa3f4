//! A growable array in fixed-size chunks: pushing never copies what is stored and never holds
//! more than one chunk of spare room, where a `Vec` doubling towards tens of millions of
//! entries may hold almost as much spare as used (the UI's per-packet and per-event indexes).

const CHUNK: usize = 1 << 16;

pub struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Copy> Chunked<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push(&mut self, v: T) {
        if self.len.is_multiple_of(CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        if let Some(c) = self.chunks.last_mut() {
            c.push(v);
        }
        self.len += 1;
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.chunks.get_mut(i / CHUNK)?.get_mut(i % CHUNK)
    }

    /// Bytes held, spare room included.
    pub fn heap_bytes(&self) -> usize {
        self.chunks.len() * CHUNK * std::mem::size_of::<T>() + self.chunks.capacity() * 24
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_and_reads_across_chunks() {
        let mut c = Chunked::default();
        for i in 0..(3 * CHUNK + 5) as u32 {
            c.push(i);
        }
        assert_eq!(c.len(), 3 * CHUNK + 5);
        assert_eq!(c.get(CHUNK), Some(&(CHUNK as u32)));
        assert_eq!(c.get(3 * CHUNK + 4), Some(&(3 * CHUNK as u32 + 4)));
        assert_eq!(c.get(3 * CHUNK + 5), None);
        *c.get_mut(7).unwrap() = 70;
        assert_eq!(c.get(7), Some(&70));
        assert_eq!(c.heap_bytes() / (CHUNK * 4), 4, "four chunks, no more");
    }
}
