package cli

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/thingplus/thingplus-webapp/thingplus"
)

// create registers an OAuth client and prints (or writes) the env lines.
func (r *runner) create(args []string) int {
	fs, urlF, loginF := r.newFlags("create", "create [flags]")
	id := fs.String("id", "", "client id (reqId), unique across Thing+ (default thingplus-webapp-<host>-<random>)")
	name := fs.String("name", "", "client name shown on the consent page, unique across Thing+ (default from the id)")
	scopes := fs.String("scopes", strings.Join(thingplus.AppScopes(), ","), "comma-separated scopes (the default is what the app's screens need)")
	redirect := fs.String("redirect-uri", "", "the app's OAuth callback (default $PUBLIC_URL/auth/callback); registered with the sandbox, printed for a real Thing+")
	out := fs.String("out", "", "write the THINGPLUS_* lines to this file (mode 0600) instead of printing them")
	force := fs.Bool("force", false, "with --out: replace an existing file")
	pos, err := parse(fs, args)
	if err != nil {
		return parseFailed(err)
	}
	if len(pos) != 0 {
		return r.usage(fs, "unexpected argument %q", pos[0])
	}
	if rc := r.resolveCommon(fs, *urlF, *loginF); rc != exitOK {
		return rc
	}

	suffix := randString(6, "abcdefghijklmnopqrstuvwxyz0123456789")
	host := hostLabel()
	nc := thingplus.NewAuthClient{ReqID: *id, Name: *name, ClientSecret: randString(40, alnum)}
	if nc.ReqID == "" {
		nc.ReqID = "thingplus-webapp-" + host + "-" + suffix
	}
	if nc.Name == "" {
		nc.Name = "thingplus-webapp on " + host
		if *id == "" {
			nc.Name += " (" + suffix + ")"
		} else {
			nc.Name += " (" + nc.ReqID + ")"
		}
	}
	if !clientIDPattern.MatchString(nc.ReqID) {
		return r.usage(fs, "--id %q: use 1-100 letters, digits, '.', '_' or '-'", nc.ReqID)
	}
	for _, s := range strings.FieldsFunc(*scopes, func(c rune) bool { return c == ',' || c == ' ' }) {
		if !contains(nc.Scopes, s) {
			nc.Scopes = append(nc.Scopes, s)
		}
	}
	if len(nc.Scopes) == 0 {
		return r.usage(fs, "--scopes is empty; the app needs at least %s", strings.Join(thingplus.AppScopes(), ","))
	}
	redirectURI := *redirect
	if redirectURI == "" {
		redirectURI = publicURL(r.env) + "/auth/callback"
	}
	if u, err := url.Parse(redirectURI); err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" {
		return r.usage(fs, "--redirect-uri %q must be an absolute http(s) URL without fragment", redirectURI)
	}
	// Only the sandbox stores redirect URIs (§9.3); a real Thing+ refuses
	// unknown keys, so there the URI is only printed.
	sandbox := isLoopback(r.baseURL)
	if sandbox {
		nc.RedirectURIs = []string{redirectURI}
	}
	if *out != "" {
		if err := checkWritable(*out, *force); err != nil {
			return r.fail("%v", err)
		}
	}

	p, rc := r.signIn()
	if rc != exitOK {
		return rc
	}
	defer r.signOut(p)
	created, err := p.CreateAuthClient(r.ctx, nc)
	if err != nil {
		var e *thingplus.Error
		switch {
		case thingplus.IsKind(err, thingplus.KindConflict):
			return r.fail("Thing+ already has a client with id %q or name %q (%s).\n"+
				"Choose others with --id and --name, or delete the old one: thingplus-webapp client delete %s",
				nc.ReqID, nc.Name, thingplusMessage(err), nc.ReqID)
		case thingplus.IsKind(err, thingplus.KindInvalid) && errors.As(err, &e) && strings.Contains(strings.ToLower(e.Message), "scope"):
			return r.fail("Thing+ refused the scopes %s: %s.\n"+
				"Run `thingplus-webapp client scopes` to list the valid ones and pass them with --scopes.",
				strings.Join(nc.Scopes, ","), e.Message)
		}
		return r.explain(err, "register the client")
	}

	secret := created.ClientSecret
	if secret == "" {
		secret = nc.ClientSecret
	}
	clientID := created.ID
	if clientID == "" {
		clientID = nc.ReqID
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# thingplus-webapp OAuth client %q, registered %s for %s at %s\n",
		nc.Name, time.Now().UTC().Format(time.RFC3339), r.loginID, r.baseURL)
	fmt.Fprintf(&b, "# scopes: %s\n", strings.Join(nc.Scopes, " "))
	if sandbox {
		fmt.Fprintf(&b, "# redirect URI (registered): %s\n", redirectURI)
	} else {
		fmt.Fprintf(&b, "# redirect URI: %s (Thing+ does not store it; the app sends it, built from PUBLIC_URL)\n", redirectURI)
	}
	if r.urlGiven {
		fmt.Fprintf(&b, "THINGPLUS_URL=%s\n", shellValue(r.baseURL))
	}
	fmt.Fprintf(&b, "THINGPLUS_CLIENT_ID=%s\n", shellValue(clientID))
	fmt.Fprintf(&b, "THINGPLUS_CLIENT_SECRET=%s\n", shellValue(secret))

	if *out == "" {
		fmt.Fprint(r.stdout, b.String())
		fmt.Fprintln(r.stderr, "Registered. Put these lines into the app's environment (the secret is shown only now).")
		return exitOK
	}
	if err := writePrivate(*out, []byte(b.String()), *force); err != nil {
		// The client exists now and its secret would be lost: print it once.
		fmt.Fprint(r.stdout, b.String())
		return r.fail("registered, but could not write %s: %v.\nThe lines are printed above instead; keep them safe.", *out, err)
	}
	fmt.Fprintf(r.stdout, "Registered client %s; wrote THINGPLUS_CLIENT_ID and THINGPLUS_CLIENT_SECRET to %s (mode 0600).\n"+
		"Load them with: set -a; . %s; set +a\n", clientID, *out, *out)
	return exitOK
}

// list prints the account's clients, never their secrets.
func (r *runner) list(args []string) int {
	p, _, rc := r.start("list", "list [flags]", args, 0)
	if rc != exitOK {
		return rc
	}
	defer r.signOut(p)
	clients, err := p.AuthClients(r.ctx)
	if err != nil {
		return r.explain(err, "list the clients")
	}
	if len(clients) == 0 {
		fmt.Fprintf(r.stdout, "%s owns no OAuth clients at %s.\n", r.loginID, r.baseURL)
		return exitOK
	}
	tw := tabwriter.NewWriter(r.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tCREATED")
	for _, c := range clients {
		created := "-"
		if t := c.Ctime.Time(); !t.IsZero() {
			created = t.UTC().Format("2006-01-02 15:04 UTC")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, oneLine(c.Name), strings.Join(c.Scopes, ","), created)
	}
	_ = tw.Flush()
	return exitOK
}

// delete removes one client the account owns.
func (r *runner) delete(args []string) int {
	p, pos, rc := r.start("delete", "delete [flags] ID", args, 1)
	if rc != exitOK {
		return rc
	}
	defer r.signOut(p)
	id := pos[0]
	if err := p.DeleteAuthClient(r.ctx, id); err != nil {
		switch {
		case thingplus.IsKind(err, thingplus.KindNotFound):
			return r.fail("no client %q at %s; `thingplus-webapp client list` shows the ones %s owns.", id, r.baseURL, r.loginID)
		case thingplus.IsKind(err, thingplus.KindForbidden):
			return r.fail("client %q belongs to another Thing+ account; sign in as its owner (--login) to delete it.", id)
		case thingplus.IsKind(err, thingplus.KindInvalid):
			return r.fail("%q is not a valid client id; `thingplus-webapp client list` shows yours.", id)
		}
		return r.explain(err, "delete the client")
	}
	fmt.Fprintf(r.stdout, "Deleted client %s.\n", id)
	return exitOK
}

// scopes lists the scopes Thing+ knows, marking the app's defaults.
func (r *runner) scopes(args []string) int {
	p, _, rc := r.start("scopes", "scopes [flags]", args, 0)
	if rc != exitOK {
		return rc
	}
	defer r.signOut(p)
	list, err := p.AuthScopes(r.ctx)
	if err != nil {
		return r.explain(err, "list the scopes")
	}
	tw := tabwriter.NewWriter(r.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCOPE\tDEFAULT\tGRANTS")
	for _, s := range list {
		def := ""
		if contains(thingplus.AppScopes(), s.ID) {
			def = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.ID, def, oneLine(s.Desc))
	}
	_ = tw.Flush()
	return exitOK
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)

// randString draws n characters from set with crypto/rand (no modulo bias).
func randString(n int, set string) string {
	limit := 256 - 256%len(set)
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		_, _ = rand.Read(buf)
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, set[int(b)%len(set)])
			}
		}
	}
	return string(out)
}

// hostLabel is the machine's name made safe for a client id.
func hostLabel() string {
	h, _ := os.Hostname()
	h = strings.ToLower(h)
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	var b strings.Builder
	for _, c := range h {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 30 {
		s = strings.Trim(s[:30], "-")
	}
	if s == "" {
		s = "host"
	}
	return s
}

// publicURL is the app's PUBLIC_URL as config computes it (default
// http://localhost:$PORT, PORT 3000).
func publicURL(env func(string) string) string {
	if u := strings.TrimRight(strings.TrimSpace(env("PUBLIC_URL")), "/"); u != "" {
		return u
	}
	port := strings.TrimSpace(env("PORT"))
	if port == "" {
		port = "3000"
	}
	return "http://localhost:" + port
}

// isLoopback reports whether the API runs on this machine (the sandbox).
func isLoopback(base string) bool {
	u, err := url.Parse(base)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

var plainValue = regexp.MustCompile(`^[A-Za-z0-9._:/@+=,-]*$`)

// shellValue quotes a value for a shell or .env file when it needs it.
func shellValue(v string) string {
	if plainValue.MatchString(v) {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func thingplusMessage(err error) string {
	var e *thingplus.Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return err.Error()
}

// checkWritable fails early, before a client is created, when --out cannot
// be written.
func checkWritable(path string, force bool) error {
	if _, err := os.Lstat(path); err == nil && !force {
		return fmt.Errorf("%s already exists; choose another file for --out, or pass --force to replace it", path)
	}
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("cannot write %s: directory %s does not exist", path, dir)
	}
	return nil
}

// writePrivate writes data to path readable by the owner only: a 0600 temp
// file in the same directory, renamed over the target (never following a
// symlink at path).
func writePrivate(path string, data []byte, force bool) error {
	if _, err := os.Lstat(path); err == nil && !force {
		return fmt.Errorf("%s already exists", path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".thingplus-client-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// start is what list, delete and scopes share: parse the flags, check that
// exactly want positional arguments (client ids) were given, resolve the
// API and login, and sign in. The caller signs out.
func (r *runner) start(name, synopsis string, args []string, want int) (*thingplus.Portal, []string, int) {
	fs, urlF, loginF := r.newFlags(name, synopsis)
	pos, err := parse(fs, args)
	if err != nil {
		return nil, nil, parseFailed(err)
	}
	switch {
	case len(pos) == want:
	case want == 0:
		return nil, nil, r.usage(fs, "unexpected argument %q", pos[0])
	default:
		return nil, nil, r.usage(fs, "give exactly one client id (see `thingplus-webapp client list`)")
	}
	if rc := r.resolveCommon(fs, *urlF, *loginF); rc != exitOK {
		return nil, nil, rc
	}
	p, rc := r.signIn()
	return p, pos, rc
}
