// Package pcapfile reads the classic libpcap capture format (the one tcpdump
// writes) far enough to get UDP datagrams out of IPv4 frames on Ethernet or
// Linux cooked links. Tests use it to compare the agent's RTP with the real
// FreeSWITCH captures in agent/media/testdata/rtp; nothing in the product
// reads captures.
package pcapfile
