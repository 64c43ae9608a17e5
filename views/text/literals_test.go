package text

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// prose is text meant for people: two words of letters, or any Hangul.
var prose = regexp.MustCompile(`[A-Za-z]{2,}[,.!?:;]? +[A-Za-z]{2,}|[가-힣]`)

func repoFiles(t *testing.T, dir, suffix string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join("..", "..", dir), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, suffix) && !strings.HasSuffix(p, "_test.go") && !strings.HasSuffix(p, "_templ.go") {
			out = append(out, p)
		}
		return err
	})
	if err != nil || len(out) == 0 {
		t.Fatalf("scan %s: %v (%d files)", dir, err, len(out))
	}
	return out
}

// Text between tags and in human-facing attributes of a .templ file must
// come from the catalogue: { text.T(ctx, …) }, never a literal.
func TestNoLiteralTextInViews(t *testing.T) {
	code := regexp.MustCompile(`\{[^{}]*\}`)
	between := regexp.MustCompile(`>([^<>]*)<`)
	attr := regexp.MustCompile(`(?:aria-label|title|placeholder|alt|hx-confirm|data-text-[a-z-]+)="([^"]*)"`)
	for _, f := range repoFiles(t, "views", ".templ") {
		b, _ := os.ReadFile(f)
		inTempl := false
		for i, line := range strings.Split(string(b), "\n") {
			trim := strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(line, "templ "):
				inTempl = true
				continue
			case line == "}":
				inTempl = false
			}
			if !inTempl || strings.HasPrefix(trim, "//") {
				continue
			}
			l := code.ReplaceAllString(line, "{}")
			var found []string
			for _, m := range between.FindAllStringSubmatch(l, -1) {
				found = append(found, m[1])
			}
			for _, m := range attr.FindAllStringSubmatch(l, -1) {
				found = append(found, m[1])
			}
			// a line of bare text inside an element
			if !strings.ContainsAny(trim, "<>{}()=\"") && !goLine.MatchString(trim) && prose.MatchString(trim) {
				found = append(found, trim)
			}
			for _, s := range found {
				if prose.MatchString(s) && !literalAllowed[strings.TrimSpace(s)] {
					t.Errorf("%s:%d: literal text %q: put it in views/text", f, i+1, s)
				}
			}
		}
	}
}

// String literals handed to people from handlers (notices, errors, labels,
// titles) must come from the catalogue too. Logs and error values are for
// operators and stay English.
func TestNoLiteralTextInHandlers(t *testing.T) {
	fields := map[string]bool{"Text": true, "Title": true, "Label": true, "Error": true, "Message": true, "Empty": true,
		"Question": true, "Details": true, "Summary": true, "Hint": true, "BackLbl": true, "CSVLabel": true, "Current": true, "Confirm": true}
	for _, f := range repoFiles(t, "handlers", ".go") {
		fs := token.NewFileSet()
		file, err := parser.ParseFile(fs, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		check := func(e ast.Expr, where string) {
			lit, ok := e.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return
			}
			s, _ := strconv.Unquote(lit.Value)
			if prose.MatchString(s) && !literalAllowed[s] {
				t.Errorf("%s: literal %q in %s: put it in views/text", fs.Position(lit.Pos()), s, where)
			}
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.KeyValueExpr:
				if id, ok := n.Key.(*ast.Ident); ok && fields[id.Name] {
					check(n.Value, id.Name)
				}
			case *ast.AssignStmt:
				for i, l := range n.Lhs {
					if sel, ok := l.(*ast.SelectorExpr); ok && fields[sel.Sel.Name] && i < len(n.Rhs) {
						check(n.Rhs[i], sel.Sel.Name)
					}
				}
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
					switch sel.Sel.Name {
					case "Toast", "ErrorBody", "Invalid", "NoticeBox", "Changed":
						for _, a := range n.Args {
							check(a, sel.Sel.Name)
						}
					}
				}
			}
			return true
		})
	}
}

var goLine = regexp.MustCompile(`^(if|for|else|switch|case|default|return)\b`)

// literalAllowed are literals that are not prose for people: the
// webhook's answers go to Thing+'s rule engine, not to a person.
var literalAllowed = map[string]bool{
	"sensorId is required":      true,
	"body is not a JSON object": true,
	"body is not a form":        true,
}

// Every key the code asks for by name exists: a missing key would show as
// itself ("nav.home") on the page. Keys built at run time ("gw.func."+fn)
// are not seen here; the language tour checks the pages for those.
func TestEveryNamedKeyExists(t *testing.T) {
	call := regexp.MustCompile(`\b(?:text\.)?(?:T|N|Form|In|tf)\([^,()]+(?:\([^()]*\))?, "([a-z0-9_]+(?:\.[a-z0-9_]+)+)"[,)]`)
	seen := 0
	for _, where := range [][2]string{{"handlers", ".go"}, {"views", ".go"}, {"views", ".templ"}, {"thingplus/sandbox", ".go"}} {
		for _, f := range repoFiles(t, where[0], where[1]) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range call.FindAllStringSubmatch(string(b), -1) {
				seen++
				if !Has(m[1]) {
					t.Errorf("%s asks for %q, which the catalogue lacks", f, m[1])
				}
			}
		}
	}
	if seen < 500 {
		t.Fatalf("only %d named keys found: the pattern no longer matches the calls", seen)
	}
}
