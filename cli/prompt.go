package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// prompter asks for the loginId and password. On a terminal it prompts on
// stderr and reads the password without echo; otherwise (a pipe, a script)
// it reads plain lines from stdin and prints no prompt.
type prompter struct {
	in  io.Reader
	out io.Writer
	tty bool
	fd  int
}

func newPrompter(in io.Reader, out io.Writer) *prompter {
	p := &prompter{in: in, out: out}
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty, p.fd = true, int(f.Fd())
	}
	return p
}

func (p *prompter) line(prompt string) (string, error) {
	if p.tty {
		fmt.Fprint(p.out, prompt)
	}
	return readLine(p.in)
}

func (p *prompter) secret(prompt string) (string, error) {
	if !p.tty {
		return readLine(p.in)
	}
	fmt.Fprint(p.out, prompt)
	b, err := term.ReadPassword(p.fd)
	fmt.Fprintln(p.out)
	return string(b), err
}

const maxLine = 4096

// readLine reads one line a byte at a time, so nothing past it is consumed
// (the next prompt may read the same stream).
func readLine(r io.Reader) (string, error) {
	if r == nil {
		return "", io.EOF
	}
	var sb strings.Builder
	b := make([]byte, 1)
	for sb.Len() < maxLine {
		n, err := r.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				return strings.TrimSuffix(sb.String(), "\r"), nil
			}
			sb.WriteByte(b[0])
		}
		if errors.Is(err, io.EOF) {
			if sb.Len() == 0 {
				return "", io.EOF
			}
			return strings.TrimSuffix(sb.String(), "\r"), nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", errors.New("line too long")
}
