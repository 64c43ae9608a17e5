package thingplus_test

import (
	"context"
	"slices"
	"testing"

	"github.com/thingplus/thingplus-webapp/thingplus"
)

// TestSandboxTags: a tag made over a sensor comes back from GET /tags with
// that sensor; without tag-read the list is refused.
func TestSandboxTags(t *testing.T) {
	sb, c := manageSandbox(t, append(thingplus.AppScopes(), "tag")...)
	tok := tokenFor(t, sb, "1")
	ctx := context.Background()

	if tags, err := c.Tags(ctx, tok); err != nil || len(tags) != 0 {
		t.Fatalf("tags before = %+v, %v", tags, err)
	}
	gws, err := c.AllGateways(ctx, tok, thingplus.Query{})
	if err != nil || len(gws) == 0 || gws[0].Sensors.Len() == 0 {
		t.Fatalf("gateways = %d, %v", len(gws), err)
	}
	sensor := gws[0].Sensors.IDs[0]
	made, err := c.CreateTag(ctx, tok, "Line 2", []string{sensor})
	if err != nil || made.ID == "" || made.Name != "Line 2" {
		t.Fatalf("CreateTag = %+v, %v", made, err)
	}
	tags, err := c.Tags(ctx, tok)
	if err != nil || len(tags) != 1 || tags[0].ID != made.ID || tags[0].Name != "Line 2" || !slices.Equal(tags[0].Sensors, []string{sensor}) {
		t.Fatalf("tags = %+v, %v", tags, err)
	}

	sb2, c2 := manageSandbox(t, "gateway-read")
	if _, err := c2.Tags(ctx, tokenFor(t, sb2, "1")); err == nil {
		t.Fatal("tags without tag-read: no error")
	} else if te, ok := err.(*thingplus.Error); !ok || te.Status != 403 {
		t.Fatalf("tags without tag-read: %v", err)
	}
}
