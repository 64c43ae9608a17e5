package gateways

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/thingplus/sandbox"
)

// sbHarness runs the handler against the real sandbox, reached through a
// wrapping server that can make it slow, failing, garbage or oversized.
type sbHarness struct {
	harness
	sb *sandbox.Sandbox

	mu    sync.Mutex
	fault string
}

func (s *sbHarness) setFault(f string) {
	s.mu.Lock()
	s.fault = f
	s.mu.Unlock()
}

func newSandboxHarness(t *testing.T, cached bool) *sbHarness {
	t.Helper()
	s := &sbHarness{}
	s.t = t
	s.clock = &clock{t: time.Now()}
	s.sb = sandbox.New(sandbox.Options{SimulatorPace: -1, Seed: 3, Now: s.clock.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(s.sb.Close)
	inner := s.sb.Handler()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		fault := s.fault
		s.mu.Unlock()
		switch fault {
		case modeSlow:
			select {
			case <-r.Context().Done():
			case <-time.After(3 * time.Second):
			}
			return
		case modeFail:
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html>502 Bad Gateway</html>")
			return
		case modeGarbage:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"statusCode":200,"message":"OK","data":[{"id":`)
			return
		case modeHuge:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"statusCode":200,"data":[`+strings.Repeat(`{"id":"x"},`, 200_000)+`{"id":"y"}]}`)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	c, err := thingplus.New(front.URL+"/v2", thingplus.WithTimeout(300*time.Millisecond), thingplus.WithMaxBody(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	token, err := s.sb.TokenFor("1")
	if err != nil {
		t.Fatal(err)
	}
	var src Source = c
	if cached {
		src = thingplus.NewCached(c, thingplus.CacheOptions{Now: s.clock.Now})
	}
	s.h = New(src, Options{Now: s.clock.Now})
	s.eng = app(s.h, demoUser(), token)
	return s
}

func TestSandboxGatewaysTable(t *testing.T) {
	s := newSandboxHarness(t, true)
	for _, htmx := range []bool{false, true} {
		r := s.get("/gateways", htmx)
		if r.Code != http.StatusOK {
			t.Fatalf("status %d: %s", r.Code, r.Body)
		}
		rows := rowCells(r.doc)
		got := map[string][]string{}
		for _, row := range rows {
			got[row[1]] = row
		}
		want := map[string][]string{
			"b827ebd0a001": {"Subway 신림-성수 line", "b827ebd0a001", "Open API Gateway", "on"},
			"b827ebd0a002": {"Climate 신림 station", "b827ebd0a002", "Raspberry Pi-Developer", "on"},
			"b827ebd0a003": {"Depot 군자 climate", "b827ebd0a003", "Raspberry Pi-Developer", "no recent report (every 1 min)"},
		}
		if len(rows) != 3 {
			t.Fatalf("rows = %v", rows)
		}
		for id, w := range want {
			if strings.Join(got[id][:4], "|") != strings.Join(w, "|") {
				t.Errorf("%s = %v, want %v", id, got[id], w)
			}
		}
		if got["b827ebd0a001"][5] != "3" || got["b827ebd0a001"][6] != "12" || got["b827ebd0a003"][4] != "3 d ago" {
			t.Errorf("counts/last = %v / %v", got["b827ebd0a001"], got["b827ebd0a003"])
		}
	}
	r := s.get("/gateways?status=stale", true)
	if rows := rowCells(r.doc); len(rows) != 1 || rows[0][1] != "b827ebd0a003" {
		t.Errorf("stale filter = %v", rows)
	}
}

func TestSandboxRowAndSensorPage(t *testing.T) {
	s := newSandboxHarness(t, true)
	r := s.get("/gateways/b827ebd0a001", true)
	if r.Code != 200 || r.doc.Find(`[data-testid="gw-sensor"]`).Length() != 12 || r.doc.Find(`[data-testid="gw-device"]`).Length() != 3 {
		t.Fatalf("subway row: %d, %s", r.Code, r.Body)
	}
	r = s.get("/gateways/b827ebd0a002", true)
	var temp []string
	r.doc.Find(`[data-testid="gw-sensor"]`).Each(func(_ int, tr *goquery.Selection) {
		if strings.Contains(tr.Text(), "Temperature") {
			temp = texts(tr.Find("td"))
		}
	})
	if len(temp) != 5 || temp[1] != "Temperature (°C)" || !strings.HasSuffix(temp[2], " °C") || temp[4] != "on" {
		t.Errorf("temperature row = %v", temp)
	}
	base := "/gateways/b827ebd0a002/sensors/b827ebd0a002-0-temperature"
	for _, rg := range []string{"hour", "day", "week"} {
		r = s.get(base+"?range="+rg, false)
		if r.Code != 200 {
			t.Fatalf("%s: %d", rg, r.Code)
		}
		if n := r.doc.Find(`[data-testid="chart-line"]`).Length(); n < 1 {
			t.Errorf("%s: no chart line", rg)
		}
		if r.doc.Find(`[data-testid="sensor-avg"]`).Length() != 1 || !strings.HasSuffix(r.doc.Find(`[data-testid="sensor-max"]`).Text(), "°C") {
			t.Errorf("%s: stats %q", rg, r.doc.Find(`[data-testid="sensor-stats"]`).Text())
		}
	}
	rec := s.get(base+"/series.csv?range=day", false)
	lines := strings.Split(strings.TrimSpace(rec.Body.String()), "\n")
	if rec.Code != 200 || len(lines) < 90 || lines[0] != "time,time_ms,value" || !strings.Contains(lines[1], "+09:00,") {
		t.Errorf("csv: %d, %d lines, %q", rec.Code, len(lines), lines[:2])
	}
	// Door counters are drawn as IN and OUT bars per 15 minutes from the
	// raw events; in + out is every event, in − out the net.
	r = s.get("/gateways/b827ebd0a001/sensors/b827ebd0a001-2-door3?range=day", false)
	num := func(id string) int {
		n, err := strconv.Atoi(r.doc.Find(`[data-testid="` + id + `"]`).Text())
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		return n
	}
	if r.Code != 200 || r.doc.Find(`[data-testid="chart-bar"]`).Length() != 2*96 || r.doc.Find(`[data-testid="chart-line"]`).Length() != 0 {
		t.Errorf("door page: %d, %d bars", r.Code, r.doc.Find(`[data-testid="chart-bar"]`).Length())
	}
	if in, out, net, n := num("sensor-in"), num("sensor-out"), num("sensor-net"), num("sensor-count"); n == 0 || in+out != n || in-out != net {
		t.Errorf("door stats: in %d out %d net %d events %d", in, out, net, n)
	}
	// Asking for a function gives Thing+'s buckets instead (the net sum).
	r = s.get("/gateways/b827ebd0a001/sensors/b827ebd0a001-2-door3?range=day&fn=sum", false)
	if r.Code != 200 || !strings.Contains(r.doc.Find(`[data-testid="sensor-summary"]`).Text(), "(sum)") || r.doc.Find(`[data-testid="sensor-data-head"]`).Text() != "Sum" {
		t.Errorf("door page, fn=sum: %d %q", r.Code, r.doc.Find(`[data-testid="sensor-summary"]`).Text())
	}
	// Another user's gateway and its sensor: 403, never their data.
	for _, p := range []string{"/gateways/b827ebd0a0ff", "/gateways/b827ebd0a0ff/sensors/b827ebd0a0ff-0-temperature"} {
		if r := s.get(p, false); r.Code != http.StatusForbidden || strings.Contains(r.Body.String(), "Other's gateway") {
			t.Errorf("%s: %d", p, r.Code)
		}
	}
}

// The sandbox made slow, failing, garbage or oversized behind the wrapping
// server: last good data with 503, never a 500, for page and fragment.
func TestSandboxFaults(t *testing.T) {
	for _, fault := range []string{modeSlow, modeFail, modeGarbage, modeHuge} {
		t.Run(fault, func(t *testing.T) {
			s := newSandboxHarness(t, true)
			if r := s.get("/gateways?open=b827ebd0a002", true); r.Code != 200 {
				t.Fatalf("warm-up %d", r.Code)
			}
			if r := s.get("/gateways/b827ebd0a002/sensors/b827ebd0a002-0-humidity", false); r.Code != 200 {
				t.Fatalf("warm-up sensor %d", r.Code)
			}
			s.setFault(fault)
			s.clock.Add(30 * time.Second) // past the cache TTL
			for _, htmx := range []bool{true, false} {
				r := s.get("/gateways?open=b827ebd0a002", htmx)
				if r.Code != http.StatusServiceUnavailable {
					t.Fatalf("htmx=%v: %d", htmx, r.Code)
				}
				if len(rowCells(r.doc)) != 3 || r.doc.Find(`[data-testid="gw-sensor"]`).Length() != 5 { // temperature, humidity and the 3 seeded actuators
					t.Errorf("htmx=%v: last good rows/sensors missing", htmx)
				}
				if !asOf(r.doc.Find(`[data-testid="gw-notice"]`).Text()) {
					t.Errorf("notice = %q", r.doc.Find(`[data-testid="gw-notice"]`).Text())
				}
			}
			r := s.get("/gateways/b827ebd0a002/sensors/b827ebd0a002-0-humidity", false)
			if r.Code != http.StatusServiceUnavailable || r.doc.Find(`[data-testid="chart-line"]`).Length() == 0 ||
				!asOf(r.doc.Find(`[data-testid="sensor-notice"]`).Text()) {
				t.Errorf("sensor page: %d, notice %q", r.Code, r.doc.Find(`[data-testid="sensor-notice"]`).Text())
			}
			if r := s.get("/gateways/b827ebd0a002/sensors/b827ebd0a002-0-humidity/series.csv", false); r.Code != http.StatusServiceUnavailable {
				t.Errorf("csv: %d", r.Code)
			}
			s.setFault("")
			s.clock.Add(30 * time.Second)
			if r := s.get("/gateways", true); r.Code != 200 || r.doc.Find(`[data-testid="gw-notice"]`).Length() != 0 {
				t.Errorf("recovery: %d", r.Code)
			}
		})
	}
}

// Many users polling at once through the cached client: each sees only
// their own data, and nothing races.
func TestSandboxConcurrentUsers(t *testing.T) {
	s := newSandboxHarness(t, true)
	other, err := s.sb.TokenFor("2")
	if err != nil {
		t.Fatal(err)
	}
	otherEng := app(s.h, thingplus.User{ID: "2", LoginID: "other", Timezone: "+9.00"}, other)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			eng, want := s.eng, 3
			if i%2 == 1 {
				eng, want = otherEng, 1
			}
			for j := 0; j < 5; j++ {
				req := httptest.NewRequest(http.MethodGet, "/gateways", nil)
				req.Header.Set("HX-Request", "true")
				rec := httptest.NewRecorder()
				eng.ServeHTTP(rec, req)
				if rec.Code != 200 {
					t.Errorf("status %d", rec.Code)
					return
				}
				if n := strings.Count(rec.Body.String(), "<tbody>"); n != want {
					t.Errorf("user %d sees %d gateways, want %d", i%2+1, n, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}
