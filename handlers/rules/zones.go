package rules

import (
	"cmp"
	"slices"
	"time"
	// The binary must carry the IANA database: Thing+ rules store offsets,
	// and the form offers zone names (containers often lack /usr/share/zoneinfo).
	_ "time/tzdata"

	"github.com/thingplus/thingplus-webapp/thingplus"
	views "github.com/thingplus/thingplus-webapp/views/rules"
)

// zoneNames are the time zones the form offers, one or more per common
// offset; the first zone with an offset wins when mapping back from a rule
// ("+9.00" → Asia/Seoul, listed before Asia/Tokyo).
var zoneNames = []string{
	"Pacific/Pago_Pago", "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles",
	"America/Denver", "America/Phoenix", "America/Chicago", "America/Mexico_City", "America/New_York",
	"America/Halifax", "America/St_Johns", "America/Sao_Paulo", "America/Argentina/Buenos_Aires",
	"Atlantic/South_Georgia", "Atlantic/Azores", "UTC", "Europe/London", "Europe/Lisbon",
	"Europe/Berlin", "Europe/Paris", "Africa/Lagos", "Europe/Helsinki", "Africa/Cairo",
	"Africa/Johannesburg", "Europe/Istanbul", "Europe/Moscow", "Asia/Riyadh", "Asia/Tehran",
	"Asia/Dubai", "Asia/Kabul", "Asia/Karachi", "Asia/Tashkent", "Asia/Kolkata", "Asia/Kathmandu",
	"Asia/Dhaka", "Asia/Yangon", "Asia/Bangkok", "Asia/Ho_Chi_Minh", "Asia/Jakarta", "Asia/Shanghai",
	"Asia/Hong_Kong", "Asia/Singapore", "Asia/Taipei", "Asia/Manila", "Australia/Perth",
	"Asia/Seoul", "Asia/Tokyo", "Australia/Darwin", "Australia/Adelaide", "Australia/Brisbane",
	"Australia/Sydney", "Pacific/Guam", "Pacific/Noumea", "Pacific/Auckland", "Pacific/Fiji",
	"Pacific/Tongatapu", "Pacific/Kiritimati",
}

// zones knows the offered zones and their current offsets.
type zones struct {
	names []string
	locs  map[string]*time.Location
}

func newZones() zones {
	z := zones{locs: map[string]*time.Location{}}
	for _, n := range zoneNames {
		if loc, err := time.LoadLocation(n); err == nil {
			z.names = append(z.names, n)
			z.locs[n] = loc
		}
	}
	return z
}

// offset is the rule format of a zone name or an offset at now.
func (z zones) offset(zone string, now time.Time) (string, bool) {
	if loc, ok := z.locs[zone]; ok {
		return thingplus.TimezoneOf(loc, now), true
	}
	if sec, err := thingplus.ParseTimezone(zone); err == nil && looksLikeOffset(zone) {
		return thingplus.FormatTimezone(sec), true
	}
	return "", false
}

// zoneFor picks the first offered zone whose offset now equals tz; an
// offset no zone has right now is kept as the offset itself.
func (z zones) zoneFor(tz string, now time.Time) string {
	sec, err := thingplus.ParseTimezone(tz)
	if err != nil {
		return tz
	}
	want := thingplus.FormatTimezone(sec)
	for _, n := range z.names {
		if thingplus.TimezoneOf(z.locs[n], now) == want {
			return n
		}
	}
	return want
}

// options lists the zones with their offsets, plus the current value when it
// is a bare offset.
func (z zones) options(current string, now time.Time) []views.Option {
	opts := make([]views.Option, 0, len(z.names)+1)
	if _, named := z.locs[current]; !named && current != "" {
		if off, ok := z.offset(current, now); ok {
			opts = append(opts, views.Option{Value: current, Label: "UTC" + off})
		}
	}
	// Listed by their offset now (DST moves zones), west to east, so
	// Brisbane +10.00 comes before Adelaide +10.50 whatever the season.
	names := slices.Clone(z.names)
	slices.SortStableFunc(names, func(a, b string) int {
		_, oa := now.In(z.locs[a]).Zone()
		_, ob := now.In(z.locs[b]).Zone()
		return cmp.Compare(oa, ob)
	})
	for _, n := range names {
		opts = append(opts, views.Option{Value: n, Label: n + " (UTC" + thingplus.TimezoneOf(z.locs[n], now) + ")"})
	}
	return opts
}

func looksLikeOffset(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c >= '0' && c <= '9' || c == '.' || (i == 0 && (c == '+' || c == '-'))) {
			return false
		}
	}
	return true
}
