package gateways

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/thingplus/thingplus-webapp/thingplus"
	vt "github.com/thingplus/thingplus-webapp/views/gateways"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// absolute is how a time is written in full: in the viewer's zone, with it.
func (v viewer) absolute(t time.Time) string {
	return t.In(v.loc).Format("2006-01-02 15:04:05 MST")
}

// agoText is "12 s ago", "3 min ago", "2 h ago", "4 d ago" (as app.js writes).
func agoText(ctx context.Context, now, t time.Time) string {
	s := int(now.Sub(t) / time.Second)
	if s < 0 {
		s = 0
	}
	switch {
	case s < 60:
		return fmt.Sprintf(text.T(ctx, "gw.ago.s"), s)
	case s < 3600:
		return fmt.Sprintf(text.T(ctx, "gw.ago.min"), s/60)
	case s < 86400:
		return fmt.Sprintf(text.T(ctx, "gw.ago.h"), s/3600)
	}
	return fmt.Sprintf(text.T(ctx, "gw.ago.d"), s/86400)
}

// ago builds the view of a time; a zero time is "never".
func (v viewer) ago(ms thingplus.Millis) vt.Ago {
	if ms <= 0 {
		return vt.Ago{Text: text.T(v.ctx, "gw.never")}
	}
	t := ms.Time()
	return vt.Ago{Text: agoText(v.ctx, v.now, t), Title: v.absolute(t), Ms: strconv.FormatInt(int64(ms), 10)}
}
