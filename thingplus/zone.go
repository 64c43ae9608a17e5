package thingplus

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Zone turns a Thing+ time zone ("+9.00": decimal hours, so "+09.50" is
// +9:30; "+09:00" is accepted too) into a fixed zone named KST for +9 and
// UTC for 0, "UTC+05:30" otherwise. Anything unreadable is UTC.
func Zone(tz string) *time.Location {
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

// Location is the user's Thing+ time zone (users/me "+9.00") as a fixed
// zone; UTC when it is missing or unreadable.
func (u User) Location() *time.Location { return Zone(u.Timezone) }
