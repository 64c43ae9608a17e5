package web

import (
	"fmt"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// CSVTimeLayout is the one time format of every CSV export: ISO 8601 with
// milliseconds and the offset of the zone the page shows its times in, so
// two exports of the same instant read the same.
const CSVTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// ZoneOf is the time zone a request's times are shown in: the signed-in
// user's Thing+ zone (users/me; Asia/Seoul when Thing+ has none for them),
// else fallback.
func ZoneOf(c *gin.Context, fallback *time.Location) *time.Location {
	if u, ok := UserOf(c); ok {
		return u.Location()
	}
	return fallback
}

// Log and list precisions: logs (the events page, the trains event log) to
// the second, lists to the minute. One of each, everywhere.
const (
	LogTimeLayout  = "2006-01-02 15:04:05"
	ListTimeLayout = "2006-01-02 15:04"
)

// ZoneLabel names a zone once, for a column header: its abbreviation
// ("KST"), or its offset ("UTC+09:00") when the zone has no letters for it.
func ZoneLabel(loc *time.Location, at time.Time) string {
	name, off := at.In(loc).Zone()
	if name != "" && strings.Trim(name, "+-0123456789") == name {
		return name
	}
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return fmt.Sprintf("UTC%s%02d:%02d", sign, off/3600, off%3600/60)
}
