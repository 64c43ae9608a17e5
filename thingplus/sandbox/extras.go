package sandbox

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
)

// extraArea owns the per-user resources beside devices and rules: tags
// (§5.9) and pushDevices (§5.12). Every handler checks in Thing+'s order:
// authentication, scope, body schema, permission, existence, conflict.
type extraArea struct {
	s *Sandbox

	mu       sync.Mutex
	tags     map[string]*tag
	tagOrder []string
	nextTag  int
	pushes   map[string]*pushDevice // by reqId
	pushList []string
}

type tag struct {
	ID, Name, User string
	Sensors        []string
	Ctime, Mtime   int64
}

type pushDevice struct {
	ID, Provider, Activated, AuthClientID, User string
	Ctime, Mtime                                int64
}

func newExtraArea(s *Sandbox) *extraArea {
	return &extraArea{s: s, tags: map[string]*tag{}, pushes: map[string]*pushDevice{}}
}

func (x *extraArea) routes(mux *http.ServeMux) {
	u := x.s.requireUser
	mux.HandleFunc("GET /v2/tags", u(x.listTags))
	mux.HandleFunc("POST /v2/tags", u(x.createTag))
	mux.HandleFunc("GET /v2/tags/{id}", u(x.getTag))
	mux.HandleFunc("PUT /v2/tags/{id}", u(x.putTag))
	mux.HandleFunc("DELETE /v2/tags/{id}", u(x.deleteTag))

	mux.HandleFunc("GET /v2/pushDevices", u(x.listPush))
	mux.HandleFunc("POST /v2/pushDevices", u(x.createPush))
	mux.HandleFunc("GET /v2/pushDevices/{id}", u(x.getPush))
	mux.HandleFunc("PUT /v2/pushDevices/{id}", u(x.putPush))
	mux.HandleFunc("DELETE /v2/pushDevices/{id}", u(x.deletePush))
}

// ---- tags ----

func (t *tag) view(num bool) map[string]any {
	return map[string]any{"id": t.ID, "name": t.Name, "sensors": nonNil(t.Sensors), "_site": "1", "_service": "1",
		"_user": t.User, "ctime": msTime(t.Ctime, num), "mtime": msTime(t.Mtime, num)}
}

// tagBody is POST and PUT /tags: name and sensors are required; the read-only
// fields a GET returns may be echoed on PUT, an id that differs from the
// path is a schema error.
type tagBody struct {
	Name    *string   `json:"name"`
	Sensors *[]string `json:"sensors"`

	ID      *string `json:"id"`
	Site    *string `json:"_site"`
	Service *string `json:"_service"`
	User    *string `json:"_user"`
	Ctime   any     `json:"ctime"`
	Mtime   any     `json:"mtime"`
}

func (x *extraArea) parseTag(r *http.Request, pathID string) (tagBody, error) {
	var in tagBody
	if err := decodeStrict(r, &in); err != nil {
		return in, err
	}
	if in.Name == nil || in.Sensors == nil {
		return in, schemaErr("name and sensors are required")
	}
	if err := checkName(*in.Name); err != nil {
		return in, err
	}
	if in.ID != nil && *in.ID != pathID {
		return in, schemaErr("id " + *in.ID + " differs from the path")
	}
	return in, nil
}

// checkSensors: each sensor must be the caller's (403 otherwise) and exist (404).
func (x *extraArea) checkSensors(userID string, ids []string) error {
	d := x.s.devices
	d.mu.RLock()
	defer d.mu.RUnlock()
	var missing error
	for _, id := range ids {
		sn, ok := d.sensors[id]
		if !ok {
			missing = notFound("sensor", id)
			continue
		}
		if gw := d.gateways[sn.Owner]; gw == nil || gw.Owner != userID {
			return denied("sensor", id)
		}
	}
	return missing
}

// tagOf: another user's tag is 403 before a missing one is 404.
func (x *extraArea) tagOfLocked(userID, id string) (*tag, error) {
	t, ok := x.tags[id]
	if !ok {
		return nil, notFound("tag", id)
	}
	if t.User != userID {
		return nil, denied("tag", id)
	}
	return t, nil
}

func (x *extraArea) listTags(w http.ResponseWriter, r *http.Request) {
	if !x.s.requireScope(w, r, "tag-read") {
		return
	}
	lq, err := parseListQuery(r.URL.Query())
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	uid := principalOf(r).UserID
	x.mu.Lock()
	var items []listItem
	for _, id := range x.tagOrder {
		if t := x.tags[id]; t.User == uid {
			items = append(items, listItem{view: t.view(false), ctime: t.Ctime, ref: t})
		}
	}
	x.mu.Unlock()
	page, meta := lq.apply(items)
	out := make([]any, len(page))
	for i, it := range page {
		out[i] = lq.project(it.view)
	}
	writeData(w, http.StatusOK, out, meta)
}

func (x *extraArea) createTag(w http.ResponseWriter, r *http.Request) {
	if !x.s.requireScope(w, r, "tag") {
		return
	}
	in, err := x.parseTag(r, "")
	if err == nil && in.ID != nil {
		err = schemaErr("id is set by the server")
	}
	uid := principalOf(r).UserID
	if err == nil {
		err = x.checkSensors(uid, *in.Sensors)
	}
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	now := x.s.nowMs()
	x.mu.Lock()
	x.nextTag++
	t := &tag{ID: strconv.Itoa(x.nextTag), Name: *in.Name, User: uid, Sensors: slices.Compact(slices.Clone(*in.Sensors)), Ctime: now, Mtime: now}
	x.tags[t.ID] = t
	x.tagOrder = append(x.tagOrder, t.ID)
	v := t.view(true)
	x.mu.Unlock()
	writeData(w, http.StatusCreated, v, nil)
}

func (x *extraArea) getTag(w http.ResponseWriter, r *http.Request) {
	if !x.s.requireScope(w, r, "tag-read") {
		return
	}
	lq, err := parseListQuery(r.URL.Query(), "sensors")
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	x.mu.Lock()
	t, err := x.tagOfLocked(principalOf(r).UserID, r.PathValue("id"))
	var v map[string]any
	if err == nil {
		v = t.view(false)
	}
	x.mu.Unlock()
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	if lq.embed["sensors"] {
		v["sensors"] = x.s.devices.sensorViews(t.Sensors)
	}
	writeData(w, http.StatusOK, lq.project(v), nil)
}

func (x *extraArea) putTag(w http.ResponseWriter, r *http.Request) {
	if !x.s.requireScope(w, r, "tag") {
		return
	}
	id := r.PathValue("id")
	in, err := x.parseTag(r, id)
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	uid := principalOf(r).UserID
	x.mu.Lock()
	_, err = x.tagOfLocked(uid, id)
	x.mu.Unlock()
	if err == nil {
		err = x.checkSensors(uid, *in.Sensors)
	}
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	t, err := x.tagOfLocked(uid, id)
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	t.Name, t.Sensors, t.Mtime = *in.Name, slices.Compact(slices.Clone(*in.Sensors)), x.s.nowMs()
	writeData(w, http.StatusOK, t.view(false), nil)
}

func (x *extraArea) deleteTag(w http.ResponseWriter, r *http.Request) {
	if !x.s.requireScope(w, r, "tag") {
		return
	}
	x.mu.Lock()
	t, err := x.tagOfLocked(principalOf(r).UserID, r.PathValue("id"))
	if err == nil {
		delete(x.tags, t.ID)
		x.tagOrder = slices.DeleteFunc(x.tagOrder, func(id string) bool { return id == t.ID })
	}
	x.mu.Unlock()
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	writeNoContent(w)
}

// sensorViews renders the sensors that still exist, in the given order.
func (d *deviceArea) sensorViews(ids []string) []*sensorJSON {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := []*sensorJSON{}
	for _, id := range ids {
		if sn := d.sensors[id]; sn != nil {
			out = append(out, sensorView(sn, false))
		}
	}
	return out
}

// ---- pushDevices (mobile push targets) ----

type pushBody struct {
	ReqID        *string `json:"reqId"`
	Provider     *string `json:"provider"`
	Activated    *string `json:"activated"`
	AuthClientID *string `json:"authClientId"`

	ID    *string `json:"id"`
	User  *string `json:"_user"`
	Ctime any     `json:"ctime"`
	Mtime any     `json:"mtime"`
}

func (p *pushDevice) view(num bool) map[string]any {
	v := map[string]any{"id": p.ID, "provider": p.Provider, "activated": p.Activated, "_user": p.User,
		"ctime": msTime(p.Ctime, num), "mtime": msTime(p.Mtime, num)}
	if p.AuthClientID != "" {
		v["authClientId"] = p.AuthClientID
	}
	return v
}

// checkPushFields: provider g (GCM) or a (APNs), activated y|n.
func checkPushFields(in *pushBody) error {
	if in.Provider != nil && *in.Provider != "g" && *in.Provider != "a" {
		return schemaErr(`provider must be "g" or "a"`)
	}
	return checkYN("activated", in.Activated)
}

func (x *extraArea) pushOfLocked(userID, id string) (*pushDevice, error) {
	p, ok := x.pushes[id]
	if !ok {
		return nil, notFound("pushDevice", id)
	}
	if p.User != userID {
		return nil, denied("pushDevice", id)
	}
	return p, nil
}

func (x *extraArea) listPush(w http.ResponseWriter, r *http.Request) {
	if !x.s.requireScope(w, r, "rule-read") {
		return
	}
	uid := principalOf(r).UserID
	x.mu.Lock()
	out := []any{}
	for _, id := range x.pushList {
		if p := x.pushes[id]; p.User == uid {
			out = append(out, p.view(false))
		}
	}
	x.mu.Unlock()
	writeData(w, http.StatusOK, out, nil)
}

// createPush: POST /pushDevices → 201 "OK" (§4.1); a taken reqId is 409
// before anything else in the body is looked at.
func (x *extraArea) createPush(w http.ResponseWriter, r *http.Request) {
	if !x.s.requireScope(w, r, "rule") {
		return
	}
	var in pushBody
	err := decodeStrict(r, &in)
	if err == nil && (in.ID != nil || in.User != nil || in.Ctime != nil || in.Mtime != nil) {
		err = schemaErr("id, _user, ctime and mtime are set by the server; send reqId")
	}
	var id string
	if err == nil {
		id, err = checkReqID("reqId", in.ReqID)
	}
	if err == nil && in.Provider == nil {
		err = schemaErr("provider is required")
	}
	if err == nil {
		err = checkPushFields(&in)
	}
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	uid := principalOf(r).UserID
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.pushes[id] != nil {
		writeAreaErr(w, conflict("pushDevice", id))
		return
	}
	if in.AuthClientID != nil {
		if _, ok := x.s.clientByID(*in.AuthClientID); !ok {
			writeAreaErr(w, notFound("authClient", *in.AuthClientID))
			return
		}
	}
	now := x.s.nowMs()
	p := &pushDevice{ID: id, Provider: *in.Provider, Activated: "y", User: uid, Ctime: now, Mtime: now}
	if in.Activated != nil {
		p.Activated = *in.Activated
	}
	if in.AuthClientID != nil {
		p.AuthClientID = *in.AuthClientID
	}
	x.pushes[id] = p
	x.pushList = append(x.pushList, id)
	writeDataMsg(w, http.StatusCreated, "OK", p.view(true))
}

func (x *extraArea) getPush(w http.ResponseWriter, r *http.Request) {
	if !x.s.requireScope(w, r, "rule-read") {
		return
	}
	x.mu.Lock()
	p, err := x.pushOfLocked(principalOf(r).UserID, r.PathValue("id"))
	var v map[string]any
	if err == nil {
		v = p.view(false)
	}
	x.mu.Unlock()
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	writeData(w, http.StatusOK, v, nil)
}

func (x *extraArea) putPush(w http.ResponseWriter, r *http.Request) {
	if !x.s.requireScope(w, r, "rule") {
		return
	}
	id := r.PathValue("id")
	var in pushBody
	err := decodeStrict(r, &in)
	if err == nil && ((in.ID != nil && *in.ID != id) || (in.ReqID != nil && *in.ReqID != id)) {
		err = schemaErr("id differs from the path")
	}
	if err == nil {
		err = checkPushFields(&in)
	}
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	p, err := x.pushOfLocked(principalOf(r).UserID, id)
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	if in.Provider != nil {
		p.Provider = *in.Provider
	}
	if in.Activated != nil {
		p.Activated = *in.Activated
	}
	if in.AuthClientID != nil {
		p.AuthClientID = *in.AuthClientID
	}
	p.Mtime = x.s.nowMs()
	writeData(w, http.StatusOK, p.view(false), nil)
}

func (x *extraArea) deletePush(w http.ResponseWriter, r *http.Request) {
	if !x.s.requireScope(w, r, "rule") {
		return
	}
	x.mu.Lock()
	p, err := x.pushOfLocked(principalOf(r).UserID, r.PathValue("id"))
	if err == nil {
		delete(x.pushes, p.ID)
		x.pushList = slices.DeleteFunc(x.pushList, func(id string) bool { return id == p.ID })
	}
	x.mu.Unlock()
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	writeNoContent(w)
}
