package web

import (
	"time"

	"github.com/gin-gonic/gin"
)

// CSVTimeLayout is the one time format of every CSV export: ISO 8601 with
// milliseconds and the offset of the zone the page shows its times in, so
// two exports of the same instant read the same.
const CSVTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// ZoneOf is the time zone a request's times are shown in: the signed-in
// user's Thing+ zone (users/me), else fallback.
func ZoneOf(c *gin.Context, fallback *time.Location) *time.Location {
	if u, ok := UserOf(c); ok && u.Timezone != "" {
		return u.Location()
	}
	return fallback
}
