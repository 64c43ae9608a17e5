package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// rawSender posts over one kept-alive connection with hand-written HTTP/1.1,
// the way wrk does. The senders share the two cores with the app and
// PostgreSQL, and net/http's client spends about as much CPU on a request as
// the webhook does on answering it (its read and write goroutines, headers
// as maps, a body reader per request); with -client std the senders use it
// instead, for comparison.
type rawSender struct {
	host string // host:port
	conn net.Conn
	r    *bufio.Reader
	req  []byte
}

func newRawSender(baseURL string) *rawSender {
	return &rawSender{host: strings.TrimPrefix(baseURL, "http://")}
}

// post sends one POST with a JSON body and returns the status; the body of
// the answer is read and dropped, the connection kept when the server keeps it.
func (s *rawSender) post(path, body string) (int, error) {
	if s.conn == nil {
		c, err := net.DialTimeout("tcp", s.host, 5*time.Second)
		if err != nil {
			return 0, err
		}
		s.conn, s.r = c, bufio.NewReaderSize(c, 4096)
	}
	s.req = append(s.req[:0], "POST "...)
	s.req = append(s.req, path...)
	s.req = append(s.req, " HTTP/1.1\r\nHost: "...)
	s.req = append(s.req, s.host...)
	s.req = append(s.req, "\r\nContent-Type: application/json\r\nContent-Length: "...)
	s.req = strconv.AppendInt(s.req, int64(len(body)), 10)
	s.req = append(s.req, "\r\n\r\n"...)
	s.req = append(s.req, body...)
	s.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := s.conn.Write(s.req); err != nil {
		s.close()
		return 0, err
	}
	code, err := s.readResponse()
	if err != nil {
		s.close()
	}
	return code, err
}

var errChunked = errors.New("chunked answer (not expected from the webhook)")

func (s *rawSender) readResponse() (int, error) {
	line, err := s.r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	// "HTTP/1.1 204 No Content"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	code, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	length, closing := 0, false
	for {
		h, err := s.r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, _ := bytes.Cut(h, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil {
				return 0, err
			}
		case bytes.EqualFold(name, []byte("Connection")) && bytes.EqualFold(value, []byte("close")):
			closing = true
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return 0, errChunked
		}
	}
	if _, err := s.r.Discard(length); err != nil {
		return 0, err
	}
	if closing {
		s.close()
	}
	return code, nil
}

func (s *rawSender) close() {
	if s.conn != nil {
		s.conn.Close()
		s.conn, s.r = nil, nil
	}
}
