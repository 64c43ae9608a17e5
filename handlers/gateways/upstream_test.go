package gateways

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/thingplus/thingplus-webapp/thingplus"
)

// upstream is a Thing+ stand-in over real HTTP with many gateways and fault
// modes (slow, failing, garbage, oversized, expired token). The sandbox is
// used where its seed suffices; this covers sizes and faults it does not.
type upstream struct {
	t     testing.TB
	srv   *httptest.Server
	now   time.Time
	token string

	mu    sync.Mutex
	mode  string           // "", slow, fail, garbage, huge, expired, ignorepage
	list  []map[string]any // GET /gateways, in order
	proj  []map[string]any // the same with fields=… (the handler's projection)
	pages map[string][]byte
	gws   map[string]map[string]any

	calls atomic.Int64
}

const goodToken = "good-token"

// Fault modes.
const (
	modeOK      = ""
	modeSlow    = "slow"
	modeFail    = "fail"
	modeGarbage = "garbage"
	modeHuge    = "huge"
	modeExpired = "expired"
	// modeIgnorePage answers every page with the first one, as an upstream
	// that ignores page would (count is still honoured).
	modeIgnorePage = "ignorepage"
	// modeIgnoreCount answers every list call with every gateway at once,
	// as an upstream that ignores count would.
	modeIgnoreCount = "ignorecount"
	// modeBusySensors answers a gateway's sensors with 429 and
	// Retry-After: 30 (more than any request budget); the rest as usual.
	modeBusySensors = "busysensors"
	// modeBusy answers every call with 429 and Retry-After: 30.
	modeBusy = "busy"
)

func newUpstream(t testing.TB, n int, now time.Time) *upstream {
	u := &upstream{t: t, now: now, token: goodToken}
	u.setGateways(genGateways(n, now))
	u.srv = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) setMode(m string) {
	u.mu.Lock()
	u.mode = m
	u.mu.Unlock()
}

func (u *upstream) setGateways(gws []map[string]any) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.gws = map[string]map[string]any{}
	for _, g := range gws {
		u.gws[g["id"].(string)] = g
	}
	u.list, u.pages = gws, map[string][]byte{}
	var proj []map[string]any
	for _, g := range gws {
		p := map[string]any{"id": g["id"]}
		for _, f := range gatewaysQuery.Fields {
			if v, ok := g[f]; ok {
				p[f] = v
			}
		}
		proj = append(proj, p)
	}
	u.proj = proj
}

// page answers GET /gateways as Thing+ does: count (default and most 4000)
// and page, with _meta when either was asked for.
func (u *upstream) page(q url.Values, mode string) []byte {
	projected := len(q["fields"]) > 0
	count, err := strconv.Atoi(q.Get("count"))
	if err != nil || count <= 0 || count > thingplus.MaxCount {
		count = thingplus.MaxCount
	}
	page, _ := strconv.Atoi(q.Get("page"))
	if page < 0 || mode == modeIgnorePage || mode == modeIgnoreCount {
		page = 0
	}
	if mode == modeIgnoreCount {
		count = len(u.list)
	}
	by, desc := q.Get("orderBy"), q.Get("orderDir") == "desc"
	key := fmt.Sprint(projected, count, page, by, desc)
	u.mu.Lock()
	defer u.mu.Unlock()
	if b, ok := u.pages[key]; ok {
		return b
	}
	all := u.list
	if projected {
		all = u.proj
	}
	if by == "name" || by == "id" { // as Thing+ does: by the field's value
		all = slices.Clone(all)
		slices.SortStableFunc(all, func(a, b map[string]any) int {
			c := strings.Compare(fmt.Sprint(a[by]), fmt.Sprint(b[by]))
			if desc {
				return -c
			}
			return c
		})
	}
	from := min(page*count, len(all))
	to := min(from+count, len(all))
	body := map[string]any{"statusCode": 200, "message": "OK", "data": all[from:to]}
	if q.Has("count") || q.Has("page") {
		body["_meta"] = map[string]any{"count": to - from, "page": page, "total": len(all)}
	}
	b, _ := json.Marshal(body)
	u.pages[key] = b
	return b
}

func (u *upstream) client(opts ...thingplus.Option) *thingplus.Client {
	c, err := thingplus.New(u.srv.URL+"/v2", opts...)
	if err != nil {
		u.t.Fatal(err)
	}
	return c
}

func envelope(data any) []byte {
	b, _ := json.Marshal(map[string]any{"statusCode": 200, "message": "OK", "data": data})
	return b
}

func v2err(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"statusCode":%d,"message":"%s","errors":[{"code":"%s","message":"x"}]}`, status, http.StatusText(status), code)
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// genGateways makes n gateways: the first is the subway gateway of the
// seed; the rest vary in model, status (on, off, error, expired) and age.
func genGateways(n int, now time.Time) []map[string]any {
	out := make([]map[string]any, 0, n)
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("b827eb%06x", 0xd0a001+i)
		name := fmt.Sprintf("Gateway %03d", i)
		if i == 0 {
			name = "Subway 신림-성수 line"
		} else if i%7 == 0 {
			name = fmt.Sprintf("잠실-을지로3가 %d", i)
		}
		model := []string{"52", "18", "6"}[i%3]
		value, expire := "on", now.Add(90*time.Second)
		last := now.Add(-time.Duration(i%60) * time.Second)
		switch i % 10 {
		case 3:
			value = "off"
		case 5:
			value = "err"
		case 8:
			expire = now.Add(-time.Hour)
			last = now.Add(-2 * time.Hour)
		}
		devs, sens := []string{}, []string{}
		for d := 1; d <= 3; d++ {
			devs = append(devs, fmt.Sprintf("%s-%d", id, d))
			for k := 1; k <= 4; k++ {
				sens = append(sens, fmt.Sprintf("%s-%d-door%d", id, d, k))
			}
		}
		out = append(out, map[string]any{
			"id": id, "name": name, "model": model, "reportInterval": "60000", "tree": id, "_site": "1", "_service": "1",
			"virtual": "n", "autoCreateDiscoverable": "y", "ctime": "1490769625019", "mtime": ms(now),
			"status": map[string]any{"type": "status", "value": value, "srcDbType": "gateway", "time": ms(last), "expireAt": ms(expire),
				"vtime": ms(last), "status": id, "owner": id, "gateway": id, "id": "status.gateway.Ab12Cd"},
			"devices": devs, "sensors": sens,
		})
	}
	return out
}

var sensorTypesJSON = envelope([]map[string]any{
	{"id": "countEvent", "category": "sensor", "type": "number", "unit": "ea", "decimalPlace": 0, "chart": map[string]any{"drawable": true, "dataType": "event"}},
	{"id": "temperature", "category": "sensor", "type": "number", "unit": "°C", "decimalPlace": 1, "chart": map[string]any{"drawable": true, "dataType": "series"}},
	{"id": "door", "category": "sensor", "type": "boolean", "values": []int{0, 1}, "displayValues": []string{"closed", "opened"}},
})

var gatewayModelsJSON = envelope([]map[string]any{
	{"id": "52", "model": "open-api-gateway-v1.0", "displayName": "Open API Gateway"},
	{"id": "18", "model": "raspberry-pi", "displayName": "Raspberry Pi-Developer"},
	{"id": "6", "model": "virtual", "displayName": "Virtual Gateway-Basic"},
})

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) {
	u.calls.Add(1)
	u.mu.Lock()
	mode := u.mode
	u.mu.Unlock()
	if mode == modeBusy || mode == modeBusySensors && strings.HasSuffix(r.URL.Path, "/sensors") {
		w.Header().Set("Retry-After", "30")
		v2err(w, http.StatusTooManyRequests, "TOO_MANY_REQUESTS")
		return
	}
	switch mode {
	case modeSlow:
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return
	case modeFail:
		v2err(w, 500, "INTERNAL_ERROR")
		return
	case modeGarbage:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"statusCode":200,"data":[{"id":"x","name":`)
		return
	case modeHuge:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"statusCode":200,"data":[`)
		chunk := strings.Repeat(`{"id":"aaaaaaaaaaaa","name":"x"},`, 1000)
		for i := 0; i < 600; i++ { // ~20 MB
			if _, err := fmt.Fprint(w, chunk); err != nil {
				return
			}
		}
		fmt.Fprint(w, `{"id":"z"}]}`)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/v2")
	w.Header().Set("Content-Type", "application/json")
	switch path {
	case "/sensorTypes":
		w.Write(sensorTypesJSON)
		return
	case "/gatewayModels":
		w.Write(gatewayModelsJSON)
		return
	}
	switch {
	case mode == modeExpired:
		w.WriteHeader(403)
		fmt.Fprint(w, `{"name":"TokenExpiredError","message":"jwt expired","expiredAt":"2015-06-10T10:10:34.000Z"}`)
		return
	case r.Header.Get("Authorization") != "Bearer "+u.token:
		w.WriteHeader(401)
		fmt.Fprint(w, `"Access denied"`)
		return
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if parts[0] != "gateways" {
		v2err(w, 404, "NOT_FOUND")
		return
	}
	if len(parts) == 1 {
		w.Write(u.page(r.URL.Query(), mode))
		return
	}
	if parts[1] == "b827ebd0a0ff" {
		v2err(w, 403, "ACCESSGROUP_DENY")
		return
	}
	u.mu.Lock()
	g, ok := u.gws[parts[1]]
	u.mu.Unlock()
	if !ok {
		v2err(w, 404, "NOT_FOUND")
		return
	}
	id := parts[1]
	switch {
	case len(parts) == 2:
		w.Write(envelope(g))
	case len(parts) == 3 && parts[2] == "devices":
		var devs []map[string]any
		for d := 1; d <= 3; d++ {
			devs = append(devs, map[string]any{"id": fmt.Sprintf("%s-%d", id, d), "name": fmt.Sprintf("Car %d", d), "model": "open-api-device-v1.0", "owner": id, "ctime": "1", "mtime": "2"})
		}
		w.Write(envelope(devs))
	case len(parts) == 3 && parts[2] == "sensors":
		var ss []map[string]any
		for d := 1; d <= 3; d++ {
			for k := 1; k <= 4; k++ {
				ss = append(ss, u.sensor(id, fmt.Sprintf("%s-%d-door%d", id, d, k)))
			}
		}
		w.Write(envelope(ss))
	case len(parts) == 4 && parts[2] == "sensors":
		if !strings.Contains(parts[3], "-door") {
			v2err(w, 404, "NOT_FOUND")
			return
		}
		w.Write(envelope(u.sensor(id, parts[3])))
	case len(parts) == 5 && parts[2] == "sensors" && parts[4] == "series":
		u.series(w, r, id, parts[3])
	default:
		v2err(w, 404, "NOT_FOUND")
	}
}

func (u *upstream) sensor(gw, id string) map[string]any {
	var d, k int
	fmt.Sscanf(id[strings.Index(id, "-")+1:], "%d-door%d", &d, &k)
	last := u.now.Add(-time.Duration(d*10+k) * time.Second)
	value := "1"
	if k%2 == 0 {
		value = "-1"
	}
	return map[string]any{"id": id, "name": fmt.Sprintf("Car %d door %d", d, k), "owner": gw, "deviceId": fmt.Sprintf("%s-%d", gw, d),
		"type": "countEvent", "category": "sensor", "network": "daliworks", "driverName": "openApiSensor", "model": "openApiCountEvent",
		"sequence": strconv.Itoa(k), "ctime": "1", "mtime": "2",
		"status": map[string]any{"type": "status", "value": "on", "time": ms(last), "expireAt": ms(u.now.Add(time.Minute)), "id": "status.sensor.x"},
		"series": map[string]any{"type": "series", "value": value, "time": ms(last), "id": "series.sensor.y"}}
}

// series answers points every interval over [dataStart, dataEnd): a wave,
// values as numbers (aggregated), times alternating numbers and strings.
func (u *upstream) series(w http.ResponseWriter, r *http.Request, gw, id string) {
	q := r.URL.Query()
	leaf := u.sensor(gw, id)["series"].(map[string]any)
	start, err1 := time.Parse(time.RFC3339, q.Get("dataStart"))
	end, err2 := time.Parse(time.RFC3339, q.Get("dataEnd"))
	step := map[string]time.Duration{"1m": time.Minute, "15m": 15 * time.Minute, "1h": time.Hour}[q.Get("interval")]
	if err1 == nil && err2 == nil && step > 0 {
		var data []any
		i := 0
		for t := start; t.Before(end); t = t.Add(step) {
			if i%17 == 5 { // a gap
				i++
				continue
			}
			v := float64(i%9) - 4
			if i%2 == 0 {
				data = append(data, v, t.UnixMilli())
			} else {
				data = append(data, strconv.FormatFloat(v, 'f', -1, 64), ms(t))
			}
			i++
		}
		leaf["data"] = data
		leaf["_meta"] = map[string]any{"count": len(data) / 2, "dataStart": start.UnixMilli(), "dataEnd": end.UnixMilli(), "interval": q.Get("interval")}
	}
	w.Write(envelope(map[string]any{"id": id, "name": "x", "series": leaf}))
}

// The stand-in pages like Thing+, and the gateway list survives an
// upstream that ignores page: 4,000 gateways are listed once, in one
// request or two (it used to list 100,000).
func TestUpstreamPagingAndIgnoredPage(t *testing.T) {
	u := newUpstream(t, thingplus.MaxCount, testNow)
	c := u.client()
	gws, meta, err := c.Gateways(context.Background(), goodToken, thingplus.Query{Count: 10, Page: 2})
	if err != nil || len(gws) != 10 || meta.Page != 2 || meta.Total != thingplus.MaxCount {
		t.Fatalf("page 2 of 10: %d %+v %v", len(gws), meta, err)
	}
	u.setMode(modeIgnorePage)
	before := u.calls.Load()
	all, err := c.AllGateways(context.Background(), goodToken, thingplus.Query{})
	if err != nil || len(all) != thingplus.MaxCount || u.calls.Load()-before > 2 {
		t.Fatalf("%d gateways in %d requests (%v)", len(all), u.calls.Load()-before, err)
	}
}
