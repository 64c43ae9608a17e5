package gateways

import (
	"context"
	"log/slog"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/thingplus/thingplus-webapp/thingplus"
	vt "github.com/thingplus/thingplus-webapp/views/gateways"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// TagReader reads the account's tags (Thing+ §5.9). A tag names a set of
// sensors; a gateway carries the tags of its sensors. *thingplus.Cached and
// *thingplus.Client implement it; without one (or without the tag-read
// scope) the list has no tag filter and the page no tags.
type TagReader interface {
	Tags(ctx context.Context, token string) ([]thingplus.Tag, error)
}

// tagOpt is a tag as the filter offers it.
type tagOpt struct{ ID, Name string }

// optionalTags fetches the tags beside a page's main call; a failure (a
// token without tag-read, Thing+ slow) only costs the tags.
func (h *Handler) optionalTags(g *errgroup.Group, ctx context.Context, token string, out *[]thingplus.Tag) {
	if h.tags == nil {
		return
	}
	g.Go(func() error {
		tags, err := h.tags.Tags(ctx, token)
		if err != nil {
			switch {
			case ctx.Err() != nil:
			case thingplus.IsKind(err, thingplus.KindForbidden):
				// A token granted without tag-read: expected on every
				// poll, so not a warning each time.
				slog.DebugContext(ctx, "tags not granted", "err", err)
			default:
				slog.WarnContext(ctx, "tags unavailable", "err", err)
			}
			return nil
		}
		*out = tags
		return nil
	})
}

// tagRows gives each row the tags on any of its gateway's sensors (rows
// and gws are in the same order, as rowsOf makes them).
func tagRows(rows []gwRow, gws []thingplus.Gateway, tags []thingplus.Tag) {
	if len(tags) == 0 {
		return
	}
	bySensor := make(map[string][]int, len(tags))
	for i, t := range tags {
		for _, s := range t.Sensors {
			bySensor[s] = append(bySensor[s], i)
		}
	}
	for i := range rows {
		for _, s := range gws[i].Sensors.IDs {
			for _, ti := range bySensor[s] {
				if id := string(tags[ti].ID); id != "" && !rows[i].hasTag(id) {
					rows[i].Tags = append(rows[i].Tags, tagOpt{ID: id, Name: tagName(tags[ti])})
				}
			}
		}
		slices.SortStableFunc(rows[i].Tags, func(a, b tagOpt) int { return naturalOrder(a.Name, b.Name) })
	}
}

func (r *gwRow) hasTag(id string) bool {
	return slices.ContainsFunc(r.Tags, func(t tagOpt) bool { return t.ID == id })
}

func tagName(t thingplus.Tag) string {
	if t.Name == "" {
		return string(t.ID)
	}
	return clip(t.Name, 100)
}

// tagOpts are the tags in name order.
func tagOpts(tags []thingplus.Tag) []tagOpt {
	out := make([]tagOpt, 0, len(tags))
	for _, t := range tags {
		if t.ID != "" {
			out = append(out, tagOpt{ID: string(t.ID), Name: tagName(t)})
		}
	}
	slices.SortStableFunc(out, func(a, b tagOpt) int { return naturalOrder(a.Name, b.Name) })
	return out
}

// tagOptions is the filter's select: nil when the account has no tags (the
// select is then not shown), else "All tags" and each tag.
func tagOptions(ctx context.Context, tags []tagOpt, cur string) []vt.Option {
	if len(tags) == 0 {
		return nil
	}
	opts := []vt.Option{{Value: "", Label: text.T(ctx, "gw.filter.alltags"), Selected: cur == ""}}
	for _, t := range tags {
		opts = append(opts, vt.Option{Value: t.ID, Label: t.Name, Selected: cur == t.ID})
	}
	return opts
}

// tagLinks are a gateway's tags as links to the list filtered by each.
func tagLinks(r *gwRow) []vt.Link {
	links := make([]vt.Link, 0, len(r.Tags))
	for _, t := range r.Tags {
		links = append(links, vt.Link{Text: t.Name, Href: listState{Tag: t.ID}.href("name", "asc")})
	}
	return links
}
