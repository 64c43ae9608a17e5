package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/thingplus/thingplus-webapp/apptest"
)

// apiChecker sends real requests to the app and checks each response (and
// each well-formed request) against the served OpenAPI document.
type apiChecker struct {
	t       *testing.T
	base    string
	router  routers.Router
	session string // the signed-in session cookie, sent for key == "session"
}

func (a *apiChecker) do(method, path, key, contentType, body string, wantStatus int, requestValid bool) []byte {
	t := a.t
	t.Helper()
	req, _ := http.NewRequest(method, a.base+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	switch key {
	case "":
	case "session":
		req.AddCookie(&http.Cookie{Name: "tpw_session", Value: a.session})
	default:
		req.Header.Set("X-Webhook-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, wantStatus, got)
	}
	// Validate against a copy of the request as it was sent.
	vreq, _ := http.NewRequest(method, a.base+path, strings.NewReader(body))
	vreq.Header = req.Header.Clone()
	route, params, err := a.router.FindRoute(vreq)
	if err != nil {
		t.Fatalf("%s %s is not in the OpenAPI document: %v", method, path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if requestValid {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("%s %s: request does not match the document: %v", method, path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode,
		Header: resp.Header, Body: io.NopCloser(bytes.NewReader(got)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s → %d: response does not match the document: %v\n%s", method, path, resp.StatusCode, err, got)
	}
	return got
}

// TestOpenAPIDocumentMatchesRealResponses loads /api/openapi.json, checks
// that it is a valid OpenAPI 3 document, then drives every documented route
// of the real app — successes and failures — and validates each answer.
func TestOpenAPIDocumentMatchesRealResponses(t *testing.T) {
	s := startStack(t, nil)
	resp, err := http.Get(s.app + "/api/openapi.json")
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("openapi.json: %v %v", err, resp)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("invalid OpenAPI document: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: s.app}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	b := apptest.NewBrowser(t)
	s.signIn(b)
	a := &apiChecker{t: t, base: s.app, router: router, session: b.Cookie(s.app, "tpw_session").Value}
	const js = "application/json"
	k := "session" // the JSON API: a signed-in account (demo owns the seeded trains)
	legacy := opsWebhookKey

	var list struct {
		Data []struct {
			ID   int64   `json:"_id"`
			Cars []int64 `json:"cars"`
		} `json:"data"`
	}
	if err := json.Unmarshal(a.do("GET", "/api/trains", k, "", "", 200, true), &list); err != nil || len(list.Data) == 0 {
		t.Fatalf("trains: %v", err)
	}
	train, car := strconv.FormatInt(list.Data[0].ID, 10), strconv.FormatInt(list.Data[0].Cars[0], 10)
	a.do("GET", "/api/trains", "", "", "", 401, false)
	a.do("GET", "/api/trains", legacy, "", "", 401, true) // the legacy key opens no API route
	a.do("GET", "/api/train/"+train, k, "", "", 200, true)
	a.do("GET", "/api/train/999999", k, "", "", 404, true)
	a.do("GET", "/api/train/abc", k, "", "", 400, false)
	a.do("GET", "/api/cars/"+car, k, "", "", 200, true)
	a.do("GET", "/api/cars/999999", k, "", "", 404, true)
	var sensors []string
	_ = json.Unmarshal(a.do("GET", "/api/sensors/"+car, k, "", "", 200, true), &sensors)
	a.do("GET", "/api/sensors/999999", k, "", "", 404, true)
	// A train's own token (the first push URL on its owner's page: the
	// first train's) reads that train only.
	page := b.Get(s.app + "/trains")
	m := regexp.MustCompile(`key=([0-9a-f]{64})`).FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatal("no train token on the owner's page")
	}
	tok := m[1]
	a.do("GET", "/api/train/"+train, tok, "", "", 200, true)
	a.do("PUT", "/api/train", tok, js, `{"name":"by token"}`, 401, true) // never a write
	if len(list.Data) > 1 {
		a.do("GET", "/api/train/"+strconv.FormatInt(list.Data[1].ID, 10), tok, "", "", 404, true)
	}

	var created struct {
		ID int64 `json:"_id"`
	}
	_ = json.Unmarshal(a.do("PUT", "/api/train", k, js, `{"name":"OpenAPI test","isRunning":"true"}`, 201, true), &created)
	newTrain := strconv.FormatInt(created.ID, 10)
	a.do("PUT", "/api/train", k, js, `{"name":""}`, 400, true)
	a.do("POST", "/api/train", k, js, `{"trainId":`+newTrain+`,"isRunning":false}`, 204, true)
	a.do("POST", "/api/train", k, js, `{"trainId":"999999","name":"x"}`, 404, true)
	a.do("POST", "/api/car", k, js, `{"carId":`+car+`,"trainId":`+newTrain+`}`, 204, true)
	// A sensor demo's Thing+ has and no car holds; a made-up one is refused.
	const free = "b827ebd0a003-0-temperature"
	a.do("PUT", "/api/sensor", k, js, `{"sensorId":"openapi-door-1","carId":`+car+`}`, 400, true)
	a.do("PUT", "/api/sensor", k, js, `{"sensorId":"`+free+`","carId":`+car+`}`, 204, true)
	a.do("PUT", "/api/sensor", k, "application/x-www-form-urlencoded", `sensorId=`+free+`&carId=`+car, 400, true)
	a.do("POST", "/api/sensor", k, js, `{"sensorId":"`+free+`","carId":"`+car+`"}`, 204, true)
	a.do("DELETE", "/api/sensor", k, js, `{"sensorId":"`+free+`"}`, 204, true)
	a.do("DELETE", "/api/sensor", k, js, `{"sensorId":"`+free+`"}`, 404, true)

	push := `{"event":"oa-1","rule":{"id":"7","name":"door IN"},"severity":"information","gateway":"b827ebd0a001","sensor":"` + sensors[0] + `","value":"1","time":1700000000000,"trigger":"over"}`
	k = legacy // the webhook: the legacy shared key (the sandbox's seeded rules use it) or a token
	// The car with this door moved to the new train above: the first
	// train's token may no longer count it.
	a.do("POST", "/api/trigger/"+sensors[0]+"/IN", tok, js, push, 403, true)
	a.do("POST", "/api/trigger/"+sensors[0]+"/IN", k, js, `{"event":"oa-0"}`, 204, true)
	a.do("POST", "/api/trigger/"+sensors[0]+"/IN", "wrong-key-wrong-key", js, push, 401, true)
	a.do("POST", "/api/trigger/no-such-sensor/OUT", k, js, `{}`, 400, true)
	a.do("POST", "/api/trigger", k, js, `{"sensorId":"`+sensors[0]+`","type":"OUT","event":"oa-2"}`, 204, true)
	a.do("POST", "/api/trigger", k, "application/x-www-form-urlencoded", "sensorId="+sensors[0]+"&type=IN", 204, true)
	a.do("POST", "/api/trigger", k, js, `{"sensorId":"`+sensors[0]+`","type":"SIDEWAYS"}`, 400, false)
	a.do("POST", "/api/trigger", k, js, `{"sensorId":"x","type":"IN","pad":"`+strings.Repeat("a", 70<<10)+`"}`, 413, true)
}
