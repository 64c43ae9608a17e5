// Package cli implements `thingplus-webapp client …`: register the app with
// Thing+ (an OAuth client made through the portal API, §3.3 of
// ../shared/thingplus-api.md), list and delete the account's clients, and
// list the scopes — what the original tutorial did with Postman and a
// browser cookie interceptor.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"

	"github.com/thingplus/thingplus-webapp/thingplus"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // Thing+ refused, unreachable, file not writable …
	exitUsage = 2 // bad flags or arguments
)

const usageText = `Usage: thingplus-webapp client <command> [flags]

Register thingplus-webapp with Thing+ as an OAuth client, from the command line.

Commands:
  create        register a new OAuth client and print THINGPLUS_CLIENT_ID / THINGPLUS_CLIENT_SECRET
  list          list the OAuth clients your account owns
  delete ID     delete one of your OAuth clients
  scopes        list the scopes Thing+ knows

Every command signs in to the Thing+ portal with your loginId and password:
  --login ID           or THINGPLUS_LOGIN_ID; asked for when missing
  password             THINGPLUS_PASSWORD, else asked for without echo on a terminal,
                       else read as one line from standard input
  --url URL            the Thing+ API, e.g. https://api.thingplus.net/v2 (or THINGPLUS_URL);
                       default: the local sandbox at http://$SANDBOX_ADDR/v2 (127.0.0.1:3001)

Run "thingplus-webapp client <command> -h" for the command's flags.
`

// Run runs one `client` command. args are the words after "client" (e.g.
// ["create", "--login", "demo"]); env reads the environment (os.Getenv);
// prompts go to stderr, results to stdout. It returns the exit status:
// 0 done, 1 failed, 2 usage error.
func Run(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if env == nil {
		env = func(string) string { return "" }
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	r := &runner{ctx: ctx, env: env, stdin: stdin, stdout: stdout, stderr: stderr}
	switch args[0] {
	case "create":
		return r.create(args[1:])
	case "list", "ls":
		return r.list(args[1:])
	case "delete", "rm":
		return r.delete(args[1:])
	case "scopes":
		return r.scopes(args[1:])
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usageText)
		return exitOK
	default:
		fmt.Fprintf(stderr, "thingplus-webapp client: unknown command %q\n\n%s", args[0], usageText)
		return exitUsage
	}
}

type runner struct {
	ctx            context.Context
	env            func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer

	// set by the common flags
	baseURL  string
	urlGiven bool // THINGPLUS_URL or --url was set (so the app needs it too)
	loginID  string
}

// fail prints one error and what to do, and returns exitFail.
func (r *runner) fail(format string, a ...any) int {
	fmt.Fprintf(r.stderr, "thingplus-webapp client: "+format+"\n", a...)
	return exitFail
}

func (r *runner) usage(fs *flag.FlagSet, format string, a ...any) int {
	fmt.Fprintf(r.stderr, "thingplus-webapp client %s: "+format+"\n", append([]any{fs.Name()}, a...)...)
	fs.Usage()
	return exitUsage
}

// newFlags makes a command's flag set with the common flags.
func (r *runner) newFlags(name, synopsis string) (*flag.FlagSet, *string, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(r.stderr)
	u := fs.String("url", "", "Thing+ API base URL with /v2 (default $THINGPLUS_URL, else the local sandbox)")
	l := fs.String("login", "", "Thing+ loginId (default $THINGPLUS_LOGIN_ID, else asked)")
	fs.Usage = func() {
		fmt.Fprintf(r.stderr, "Usage: thingplus-webapp client %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs, u, l
}

// parse parses flags wherever they sit among the positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseFailed: -h is a success (the flag package printed the usage), any
// other flag error a usage error.
func parseFailed(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}

// resolveCommon settles the base URL and loginId from flags and environment.
func (r *runner) resolveCommon(fs *flag.FlagSet, urlFlag, loginFlag string) int {
	r.baseURL = strings.TrimRight(strings.TrimSpace(urlFlag), "/")
	name := "--url"
	if r.baseURL == "" {
		r.baseURL, name = strings.TrimRight(strings.TrimSpace(r.env("THINGPLUS_URL")), "/"), "THINGPLUS_URL"
	}
	r.urlGiven = r.baseURL != ""
	if !r.urlGiven {
		addr := r.env("SANDBOX_ADDR")
		if addr == "" {
			addr = "127.0.0.1:3001"
		}
		r.baseURL, name = "http://"+addr+"/v2", "SANDBOX_ADDR"
	}
	u, err := url.Parse(r.baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return r.usage(fs, "%s must be an http(s) URL without credentials, like https://api.thingplus.net/v2", name)
	}
	r.loginID = strings.TrimSpace(loginFlag)
	if r.loginID == "" {
		r.loginID = strings.TrimSpace(r.env("THINGPLUS_LOGIN_ID"))
	}
	return exitOK
}

// signIn asks for what is missing and opens a portal session.
func (r *runner) signIn() (*thingplus.Portal, int) {
	in := newPrompter(r.stdin, r.stderr)
	if r.loginID == "" {
		id, err := in.line("Thing+ loginId: ")
		if err != nil || strings.TrimSpace(id) == "" {
			return nil, r.fail("no loginId: pass --login ID or set THINGPLUS_LOGIN_ID")
		}
		r.loginID = strings.TrimSpace(id)
	}
	password := r.env("THINGPLUS_PASSWORD")
	if password == "" {
		pw, err := in.secret(fmt.Sprintf("Thing+ password for %s: ", r.loginID))
		if err != nil || pw == "" {
			return nil, r.fail("no password: type it when asked, or set THINGPLUS_PASSWORD for scripts")
		}
		password = pw
	}
	p, err := thingplus.NewPortal(r.baseURL)
	if err != nil {
		return nil, r.fail("bad Thing+ URL %q: %v", r.baseURL, err)
	}
	if err := p.Login(r.ctx, r.loginID, password); err != nil {
		return nil, r.explain(err, "sign in")
	}
	return p, exitOK
}

// signOut ends the portal session; a failure here changes nothing for the user.
func (r *runner) signOut(p *thingplus.Portal) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), thingplus.DefaultTimeout)
	defer cancel()
	_ = p.Logout(ctx)
}

// explain turns a Thing+ error into one message naming what to do.
func (r *runner) explain(err error, what string) int {
	var e *thingplus.Error
	if !errors.As(err, &e) {
		return r.fail("%s failed: %v", what, err)
	}
	switch {
	case errors.Is(err, thingplus.ErrWrongCredentials):
		return r.fail("Thing+ at %s refused loginId %q with that password.\n"+
			"Check both (the password is the one of your Thing+ Portal account) and try again.", r.baseURL, r.loginID)
	case e.Status == 0 && e.Kind == thingplus.KindUnavailable:
		hint := "Check THINGPLUS_URL (or --url) and your network connection."
		if !r.urlGiven {
			hint = "Start the local sandbox first (`thingplus-webapp sandbox`, or the app with `go run .`), " +
				"or point THINGPLUS_URL (or --url) at a real Thing+, e.g. https://api.thingplus.net/v2."
		}
		return r.fail("cannot reach Thing+ at %s: %v.\n%s", r.baseURL, rootCause(e), hint)
	case e.Kind == thingplus.KindUnauthorized:
		return r.fail("Thing+ did not accept the portal session while trying to %s (%s). Sign in again by re-running the command.", what, e.Message)
	case e.Kind == thingplus.KindUnavailable:
		return r.fail("Thing+ at %s failed to %s (HTTP %d%s). Try again later.", r.baseURL, what, e.Status, msgSuffix(e))
	default:
		return r.fail("Thing+ refused to %s (HTTP %d%s).", what, e.Status, msgSuffix(e))
	}
}

func msgSuffix(e *thingplus.Error) string {
	s := ""
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// rootCause is the innermost error (the dial or DNS failure), without the
// wrapping that repeats the URL.
func rootCause(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return op
	}
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}
