// load drives a tcp-echo server for the benchmark and prints one JSON line of results.
//
//	load conn  -addr A -c N -d D   new connection per request: dial, one line, read reply, close
//	load pipe  -addr A -c N -d D -line B   N connections streaming pipelined lines of B bytes
//	load ping  -addr A -c N -d D   N open connections, each sending a line and awaiting its reply in turn
//	load idle  -addr A -n N        open N idle connections, print "ready", hold them until stdin closes
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

const dialTimeout = 500 * time.Millisecond

type result struct {
	Mode      string  `json:"mode"`
	Clients   int     `json:"clients"`
	Ops       int64   `json:"ops"`
	Bytes     int64   `json:"bytes"`
	Errors    int64   `json:"errors"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"perSecond"`
	P50Micros float64 `json:"p50Micros"`
	P99Micros float64 `json:"p99Micros"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: load conn|pipe|idle [flags]")
		os.Exit(64)
	}
	flags := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	addr := flags.String("addr", "127.0.0.1:9000", "server address")
	clients := flags.Int("c", 32, "concurrent clients")
	duration := flags.Duration("d", 2*time.Second, "how long to run")
	lineBytes := flags.Int("line", 16, "pipe: bytes per line, newline included")
	idle := flags.Int("n", 10000, "idle: connections to hold")
	_ = flags.Parse(os.Args[2:])

	var r result
	switch os.Args[1] {
	case "conn":
		r = connMode(*addr, *clients, *duration)
	case "pipe":
		r = pipeMode(*addr, *clients, *duration, *lineBytes)
	case "ping":
		r = pingMode(*addr, *clients, *duration)
	case "idle":
		idleMode(*addr, *idle)
		return
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
		os.Exit(64)
	}
	_ = json.NewEncoder(os.Stdout).Encode(r)
}

func connMode(addr string, clients int, duration time.Duration) result {
	var ops, errs atomic.Int64
	latencies := make([][]time.Duration, clients)
	deadline := time.Now().Add(duration)
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			buf := make([]byte, 256)
			for i := 0; time.Now().Before(deadline); i++ {
				began := time.Now()
				// A dropped SYN waits for TCP's retransmissions, a second and more: count it as an error
				// instead of letting one connection hold the run past its duration.
				conn, err := net.DialTimeout("tcp", addr, dialTimeout)
				if err != nil {
					errs.Add(1)
					continue
				}
				line := "ping " + strconv.Itoa(c) + " " + strconv.Itoa(i) + "\n"
				_, err = io.WriteString(conn, line)
				got := 0
				for err == nil && (got == 0 || buf[got-1] != '\n') {
					var n int
					n, err = conn.Read(buf[got:])
					got += n
				}
				conn.Close()
				if err != nil || !bytes.HasSuffix(buf[:got], []byte(line)) {
					errs.Add(1)
					continue
				}
				ops.Add(1)
				latencies[c] = append(latencies[c], time.Since(began))
			}
		}(c)
	}
	wg.Wait()
	r := result{Mode: "conn", Clients: clients, Ops: ops.Load(), Errors: errs.Load(), Seconds: time.Since(start).Seconds()}
	r.PerSecond = float64(r.Ops) / r.Seconds
	r.P50Micros, r.P99Micros = percentiles(latencies)
	return r
}

// percentiles gives the median and 99th percentile, in microseconds, of every client's latencies.
func percentiles(latencies [][]time.Duration) (p50, p99 float64) {
	var all []time.Duration
	for _, l := range latencies {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return 0, 0
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return float64(all[len(all)/2].Microseconds()), float64(all[len(all)*99/100].Microseconds())
}

func pipeMode(addr string, clients int, duration time.Duration, lineBytes int) result {
	line := bytes.Repeat([]byte("x"), lineBytes-1)
	line = append(line, '\n')
	batch := bytes.Repeat(line, max(1, 64*1024/lineBytes))
	var lines, received, errs atomic.Int64
	start := time.Now()
	deadline := start.Add(duration)
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				errs.Add(1)
				return
			}
			done := make(chan struct{})
			go func() {
				for time.Now().Before(deadline) {
					if _, err := conn.Write(batch); err != nil {
						break
					}
				}
				conn.(*net.TCPConn).CloseWrite()
				close(done)
			}()
			reader := bufio.NewReaderSize(conn, 256*1024)
			buf := make([]byte, 256*1024)
			for {
				n, err := reader.Read(buf)
				if n > 0 && time.Now().Before(deadline) {
					lines.Add(int64(bytes.Count(buf[:n], []byte{'\n'})))
					received.Add(int64(n))
				}
				if err != nil || !time.Now().Before(deadline) {
					break
				}
			}
			conn.Close()
			<-done
		}()
	}
	wg.Wait()
	seconds := duration.Seconds()
	r := result{Mode: "pipe", Clients: clients, Ops: lines.Load(), Bytes: received.Load(), Errors: errs.Load(), Seconds: seconds}
	r.PerSecond = float64(r.Ops) / seconds
	return r
}

// pingMode measures how throughput holds up as connections grow: every connection is open before the
// clock starts, and each has one line in flight at a time, so no buffer fills however many there are.
func pingMode(addr string, clients int, duration time.Duration) result {
	conns := make([]net.Conn, clients)
	for c := range conns {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "dial:", err)
			os.Exit(1)
		}
		conns[c] = conn
	}
	var ops, errs atomic.Int64
	latencies := make([][]time.Duration, clients)
	start := time.Now()
	deadline := start.Add(duration)
	var wg sync.WaitGroup
	for c, conn := range conns {
		wg.Add(1)
		go func(c int, conn net.Conn) {
			defer wg.Done()
			defer conn.Close()
			line := []byte("ping " + strconv.Itoa(c) + "\n")
			buf := make([]byte, 256)
			for time.Now().Before(deadline) {
				began := time.Now()
				if _, err := conn.Write(line); err != nil {
					errs.Add(1)
					return
				}
				got := 0
				for got == 0 || buf[got-1] != '\n' {
					n, err := conn.Read(buf[got:])
					if err != nil {
						errs.Add(1)
						return
					}
					got += n
				}
				ops.Add(1)
				latencies[c] = append(latencies[c], time.Since(began))
			}
		}(c, conn)
	}
	wg.Wait()
	r := result{Mode: "ping", Clients: clients, Ops: ops.Load(), Errors: errs.Load(), Seconds: time.Since(start).Seconds()}
	r.PerSecond = float64(r.Ops) / r.Seconds
	r.P50Micros, r.P99Micros = percentiles(latencies)
	return r
}

func idleMode(addr string, n int) {
	conns := make([]net.Conn, 0, n)
	for i := 0; i < n; i++ {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "dial:", err)
			os.Exit(1)
		}
		conns = append(conns, conn)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	for _, conn := range conns {
		conn.Close()
	}
}
