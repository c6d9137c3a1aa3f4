// SYN flood on loopback for benches/live_flood.sh (the live UI's memory): raw SYNs from 127.0.x.y:port to
// 127.0.0.1:PORT (closed: the kernel answers RST). Usage: syn_flood PORT SECONDS
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
static unsigned short csum(unsigned short *p, int n){unsigned long s=0;while(n>1){s+=*p++;n-=2;}if(n)s+=*(unsigned char*)p;s=(s>>16)+(s&0xffff);s+=s>>16;return ~s;}
int main(int c,char**v){int port=atoi(v[1]);double secs=atof(v[2]);
int fd=socket(AF_INET,SOCK_RAW,IPPROTO_RAW);if(fd<0){perror("socket");return 1;}
char pkt[40];struct iphdr*ip=(void*)pkt;struct tcphdr*t=(void*)(pkt+20);
struct sockaddr_in dst={.sin_family=AF_INET,.sin_port=htons(port)};dst.sin_addr.s_addr=htonl(0x7f000001);
struct timespec t0,t1;clock_gettime(CLOCK_MONOTONIC,&t0);unsigned long n=0;
for(;;){for(int k=0;k<1000;k++){memset(pkt,0,40);
/* A new source (127.0.x.y, port) for every SYN, so every one is a new connection. */
unsigned src=0x7f000000|((1+((n>>14)&0xff))<<8)|(2+((n>>22)&0xfd));
ip->ihl=5;ip->version=4;ip->tot_len=htons(40);ip->id=htons(n);ip->ttl=64;ip->protocol=6;ip->saddr=htonl(src);ip->daddr=dst.sin_addr.s_addr;ip->check=csum((void*)ip,20);
t->source=htons(1024+(n&0x3fff));t->dest=htons(port);t->seq=htonl(n*7919);t->doff=5;t->syn=1;t->window=htons(64240);
struct{unsigned s,d;unsigned char z,p;unsigned short l;}ph={ip->saddr,ip->daddr,0,6,htons(20)};char b[32];memcpy(b,&ph,12);memcpy(b+12,t,20);t->check=csum((void*)b,32);
sendto(fd,pkt,40,0,(void*)&dst,sizeof dst);n++;}
clock_gettime(CLOCK_MONOTONIC,&t1);if((t1.tv_sec-t0.tv_sec)+(t1.tv_nsec-t0.tv_nsec)/1e9>secs)break;usleep(1000);}
fprintf(stderr,"sent %lu SYNs\n",n);return 0;}
