package gateways

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/thingplus/thingplus-webapp/thingplus"
	vt "github.com/thingplus/thingplus-webapp/views/gateways"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// pageSize is how many gateways the list shows at once. Thing+ is asked for
// one page of this size (count/page), so the table and its 15 s poll stay
// small whatever the size of the account.
const pageSize = 50

// maxPageNum bounds ?page= before it meets arithmetic (page × count); a
// larger page is clamped to the last one anyway.
const maxPageNum = 1_000_000

// parsePage reads ?page= (1-based). Anything that is not a positive number
// is page 1; a huge number is bounded here and clamped to the last page
// once the total is known. ok is false for a page that is not a plain
// number from 1 (the answer then shows the canonical address).
func parsePage(raw []string) (page int, ok bool) {
	if len(raw) == 0 {
		return 1, true
	}
	n, err := strconv.Atoi(raw[0])
	switch {
	case errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(raw[0], "-"):
		return maxPageNum, false // too big for an int: past the end
	case err != nil || n < 1:
		return 1, false
	case n > maxPageNum:
		return maxPageNum, false
	}
	return n, len(raw) == 1 && raw[0] == strconv.Itoa(n)
}

// serverPaged reports whether Thing+ can make the page itself: no filter
// that only this app can judge (the search matches name or id anywhere, the
// status is judged here against the report interval, tags sit on sensors)
// and an order Thing+ knows (name, id). Otherwise the list reads every
// gateway (AllGateways: bounded, terminating) and pages the result here.
func (s listState) serverPaged() bool {
	return s.Q == "" && s.Status == "" && s.Tag == "" && (s.Sort == "name" || s.Sort == "id")
}

// pageQuery is the list call for one page of the state.
func (s listState) pageQuery(page int) thingplus.Query {
	q := gatewaysQuery
	q.Count, q.Page, q.OrderBy, q.OrderDir = pageSize, page-1, s.Sort, s.Dir
	return q
}

// pageOf is one page of gateways as Thing+ sent it, and what it said of the
// total (0: it did not say).
type pageOf struct {
	gws   []thingplus.Gateway
	total int
}

// fetchPage asks Thing+ for one page of the state. When the page is past
// the end, it asks again for the last page. paged is false when the
// upstream does not page: it sent more than asked for (ignores count), or
// page N repeats page 1's gateways (ignores page; page 1 is asked beside
// page N, a small call that the per-user cache usually already holds).
func (h *Handler) fetchPage(ctx context.Context, token string, s *listState) (p pageOf, paged bool, err error) {
	p, paged, err = h.fetchPageAt(ctx, token, *s, s.Page)
	if err != nil || !paged || len(p.gws) > 0 || p.total == 0 || s.Page == 1 {
		return p, paged, err
	}
	s.Page = pagesOf(p.total)
	return h.fetchPageAt(ctx, token, *s, s.Page)
}

func (h *Handler) fetchPageAt(ctx context.Context, token string, s listState, page int) (pageOf, bool, error) {
	var p, first pageOf
	g, gctx := errgroup.WithContext(ctx)
	get := func(n int, out *pageOf) {
		g.Go(func() error {
			gws, meta, err := h.src.Gateways(gctx, token, s.pageQuery(n))
			*out = pageOf{gws: gws, total: meta.Total}
			return err
		})
	}
	get(page, &p)
	if page > 1 {
		get(1, &first)
	}
	if err := g.Wait(); err != nil {
		return pageOf{}, false, err
	}
	if len(p.gws) > pageSize || len(first.gws) > pageSize || overlaps(p.gws, first.gws) {
		return pageOf{}, false, nil
	}
	return p, true, nil
}

func overlaps(a, b []thingplus.Gateway) bool {
	ids := make(map[string]bool, len(b))
	for _, g := range b {
		ids[g.ID] = true
	}
	for _, g := range a {
		if ids[g.ID] {
			return true
		}
	}
	return false
}

// pagesOf is the number of pages of n gateways (at least 1).
func pagesOf(n int) int { return max(1, (n+pageSize-1)/pageSize) }

// pageHref is the state's URL at page n (page 1 is left out).
func (s listState) pageHref(n int) string {
	u := s.href(s.Sort, s.Dir)
	if n <= 1 {
		return u
	}
	v := url.Values{"page": {strconv.Itoa(n)}}
	if len(u) > len("/gateways") {
		return u + "&" + v.Encode()
	}
	return u + "?" + v.Encode()
}

// window is how many page numbers the pager offers on each side of the
// current page (beside the first and the last).
const window = 2

// pagerOf is the pager of page of pages (pages 0: Thing+ gave no total, so
// the next page is offered while pages come back full).
func pagerOf(ctx context.Context, s listState, pages int, more bool) vt.Pager {
	p := vt.Pager{Page: s.Page, Pages: pages, Label: text.T(ctx, "gw.pager")}
	if s.Page > 1 {
		p.PrevURL = s.pageHref(s.Page - 1)
	}
	if (pages > 0 && s.Page < pages) || (pages == 0 && more) {
		p.NextURL = s.pageHref(s.Page + 1)
	}
	if pages > 0 {
		p.At = fmt.Sprintf(text.T(ctx, "gw.pager.at"), s.Page, pages)
	} else {
		p.At = fmt.Sprintf(text.T(ctx, "gw.pager.atopen"), s.Page)
	}
	for n := 1; n <= pages; n++ {
		if n != 1 && n != pages && (n < s.Page-window || n > s.Page+window) {
			if len(p.Links) > 0 && p.Links[len(p.Links)-1].N != 0 {
				p.Links = append(p.Links, vt.PageLink{}) // a gap: "…"
			}
			continue
		}
		p.Links = append(p.Links, vt.PageLink{N: n, Label: strconv.Itoa(n), URL: s.pageHref(n), Current: n == s.Page,
			Aria: fmt.Sprintf(text.T(ctx, "gw.pager.page"), n)})
	}
	return p
}

// dataKey names the state's data (filters, order, page) for the last good
// copy kept per user: an outage shows the same page as it was.
func (s listState) dataKey() string {
	return url.Values{"q": {s.Q}, "status": {s.Status}, "tag": {s.Tag}, "sort": {s.Sort}, "dir": {s.Dir},
		"page": {strconv.Itoa(s.Page)}}.Encode()
}
