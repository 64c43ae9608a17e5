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
// UTC for 0, "UTC+05:30" otherwise. A missing or unreadable zone is
// DefaultZone (Asia/Seoul): Thing+ is a Korean platform, and a user who never
// set a zone expects Korean times, not the server's UTC.
func Zone(tz string) *time.Location {
	tz = strings.TrimSpace(tz)
	if tz == "" {
		return DefaultZone
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
			return DefaultZone
		}
		hours = float64(hh) + float64(mm)/60
	} else {
		f, err := strconv.ParseFloat(tz, 64)
		if err != nil {
			return DefaultZone
		}
		hours = f
	}
	if math.IsNaN(hours) || hours < 0 || hours > 14 {
		return DefaultZone
	}
	secs := int(math.Round(sign*hours*3600/60)) * 60
	switch secs {
	case 0:
		return time.UTC
	case 9 * 3600:
		return DefaultZone
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

// DefaultZone is Asia/Seoul (KST, UTC+9, no daylight saving since 1988) as a
// fixed zone: the zone of a user or train owner whose Thing+ zone is unknown.
var DefaultZone = time.FixedZone("KST", 9*3600)

// Location is the user's Thing+ time zone (users/me "+9.00") as a fixed
// zone; Asia/Seoul (DefaultZone) when it is missing or unreadable.
func (u User) Location() *time.Location { return Zone(u.Timezone) }
