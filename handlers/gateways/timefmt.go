package gateways

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/thingplus/thingplus-webapp/thingplus"
	vt "github.com/thingplus/thingplus-webapp/views/gateways"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// Timezone turns a Thing+ timezone ("+9.00": decimal hours, so "+09.50" is
// +9:30; "+09:00" is accepted too) into a fixed zone named KST for +9 and
// UTC for 0, "UTC+05:30" otherwise. Anything unreadable is UTC.
func Timezone(tz string) *time.Location {
	tz = strings.TrimSpace(tz)
	if tz == "" {
		return time.UTC
	}
	sign := 1.0
	switch tz[0] {
	case '+':
		tz = tz[1:]
	case '-':
		sign, tz = -1, tz[1:]
	}
	var hours float64
	if h, m, ok := strings.Cut(tz, ":"); ok {
		hh, err1 := strconv.Atoi(h)
		mm, err2 := strconv.Atoi(m)
		if err1 != nil || err2 != nil || mm < 0 || mm >= 60 {
			return time.UTC
		}
		hours = float64(hh) + float64(mm)/60
	} else {
		f, err := strconv.ParseFloat(tz, 64)
		if err != nil {
			return time.UTC
		}
		hours = f
	}
	if math.IsNaN(hours) || hours < 0 || hours > 14 {
		return time.UTC
	}
	secs := int(math.Round(sign*hours*3600/60)) * 60
	switch secs {
	case 0:
		return time.UTC
	case 9 * 3600:
		return time.FixedZone("KST", secs)
	}
	s := "+"
	if secs < 0 {
		s = "-"
	}
	a := secs
	if a < 0 {
		a = -a
	}
	return time.FixedZone(fmt.Sprintf("UTC%s%02d:%02d", s, a/3600, a%3600/60), secs)
}

// absolute is how a time is written in full: in the viewer's zone, with it.
func (v viewer) absolute(t time.Time) string {
	return t.In(v.loc).Format("2006-01-02 15:04:05 MST")
}

// agoText is "12 s ago", "3 min ago", "2 h ago", "4 d ago" (as app.js writes).
func agoText(now, t time.Time) string {
	s := int(now.Sub(t) / time.Second)
	if s < 0 {
		s = 0
	}
	switch {
	case s < 60:
		return fmt.Sprintf(text.T("gw.ago.s"), s)
	case s < 3600:
		return fmt.Sprintf(text.T("gw.ago.min"), s/60)
	case s < 86400:
		return fmt.Sprintf(text.T("gw.ago.h"), s/3600)
	}
	return fmt.Sprintf(text.T("gw.ago.d"), s/86400)
}

// ago builds the view of a time; a zero time is "never".
func (v viewer) ago(ms thingplus.Millis) vt.Ago {
	if ms <= 0 {
		return vt.Ago{Text: text.T("gw.never")}
	}
	t := ms.Time()
	return vt.Ago{Text: agoText(v.now, t), Title: v.absolute(t), Ms: strconv.FormatInt(int64(ms), 10)}
}
