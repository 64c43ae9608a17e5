package gateways

import (
	"context"
	"io"

	"github.com/a-h/templ"
)

// The gateway rows are the one part written in Go rather than templ, for
// size and speed: HTML lets </td>, </tr> and </tbody> be omitted (the next
// <td>, <tr> or <tbody> closes them), which keeps the 50-gateway table
// fragment under its 12 KB budget, and writing straight to the output keeps
// a 1,000-row page well under its render budget. Every value is
// HTML-escaped; the status class comes from a fixed set. An open row's
// detail is the templ component detailRow.

// rowLine writes one gateway's row (the start of its <tbody>).
func rowLine(r Row) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		return writeRow(w, &r)
	})
}

// rowList writes every row of the table; open rows add their detail.
func rowList(rows []Row) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		for i := range rows {
			if err := writeRow(w, &rows[i]); err != nil {
				return err
			}
			if rows[i].Detail != nil {
				if err := detailRow(rows[i]).Render(ctx, w); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func writeRow(w io.Writer, r *Row) error {
	sw := stringWriter{w: w}
	sw.raw(`<tbody><tr><td><button hx-get="`)
	sw.esc(r.Toggle)
	if r.Open {
		sw.raw(`" aria-expanded=true>`)
	} else {
		sw.raw(`" aria-expanded=false>`)
	}
	sw.esc(r.Name)
	sw.raw(`</button><td>`)
	sw.esc(r.ID)
	sw.raw(`<td>`)
	sw.esc(r.Model)
	sw.raw(`<td class=`)
	sw.raw(statusClass(r.Status.Kind))
	sw.raw(`>`)
	sw.esc(r.Status.Text)
	if r.Last.Title != "" {
		sw.raw(`<td title="`)
		sw.esc(r.Last.Title)
		sw.raw(`">`)
	} else {
		sw.raw(`<td>`)
	}
	sw.esc(r.Last.Text)
	sw.raw(`<td>`)
	sw.esc(r.Devices)
	sw.raw(`<td>`)
	sw.esc(r.Sensors)
	return sw.err
}

// stringWriter writes strings, remembering the first error.
type stringWriter struct {
	w   io.Writer
	err error
}

func (s *stringWriter) raw(v string) {
	if s.err == nil {
		_, s.err = io.WriteString(s.w, v)
	}
}

func (s *stringWriter) esc(v string) { s.raw(templ.EscapeString(v)) }

// statusClass is the row's status cell class: only these four ever reach
// the page.
func statusClass(kind string) string {
	switch kind {
	case "ok", "warn", "bad":
		return kind
	}
	return "off"
}
