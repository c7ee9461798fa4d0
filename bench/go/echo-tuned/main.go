// echo-tuned is the benchmark's anchor peer: tcp-echo's wire semantics (for every \n-terminated line,
// "<prefix> <line>"; a trailing partial line gets no reply) written as a Go expert would for speed:
// one write per chunk read, no per-line logging.
package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"strings"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: echo-tuned <ports> <prefix>")
		os.Exit(64)
	}
	head := []byte(os.Args[2] + " ")
	for _, port := range strings.Split(os.Args[1], ",") {
		listener, err := net.Listen("tcp", "127.0.0.1:"+port)
		if err != nil {
			fmt.Fprintln(os.Stderr, "listen:", err)
			os.Exit(69)
		}
		fmt.Printf("listening on %s\n", listener.Addr())
		go accept(listener, head)
	}
	select {}
}

func accept(listener net.Listener, head []byte) {
	for {
		conn, err := listener.Accept()
		if err != nil {
			continue
		}
		go serve(conn, head)
	}
}

func serve(conn net.Conn, head []byte) {
	defer conn.Close()
	in := make([]byte, 64*1024)
	var pending []byte
	out := make([]byte, 0, 128*1024)
	for {
		n, err := conn.Read(in)
		data := in[:n]
		out = out[:0]
		for {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				break
			}
			out = append(out, head...)
			out = append(out, pending...)
			out = append(out, data[:i+1]...)
			pending = pending[:0]
			data = data[i+1:]
		}
		pending = append(pending, data...)
		if len(out) > 0 {
			if _, werr := conn.Write(out); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
