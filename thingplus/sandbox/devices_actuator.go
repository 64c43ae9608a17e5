package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// ---- controlActuator (§5.12) ----

type controlBody struct {
	ID     *string        `json:"id"`
	Act    *string        `json:"act"`
	Params *controlParams `json:"params"`
}

type controlParams struct {
	ID      *string        `json:"id"`
	Cmd     *string        `json:"cmd"`
	Options map[string]any `json:"options"`
}

// controlActuator: POST /controlActuator {id: gateway, act:"controlActuator",
// params{id: actuator, cmd, options}} → 200 {cmd, options, result}. Checks
// run in Thing+'s order: body schema, permission, existence, then the
// command against the actuator type's documented commands (400
// INVALID_INPUT), then the gateway: an offline gateway cannot answer, 504
// PROCESS_COMMAND_RESULT. The command's effect is the actuator's latest
// value: {"cmd":…,"options":…,"result":"success"}.
func (d *deviceArea) controlActuator(w http.ResponseWriter, r *http.Request) {
	if !d.s.requireScope(w, r, "actuator-command") {
		return
	}
	var in controlBody
	err := decodeStrict(r, &in)
	if err == nil && (in.ID == nil || in.Act == nil || in.Params == nil || in.Params.ID == nil || in.Params.Cmd == nil) {
		err = schemaErr("id, act, params.id and params.cmd are required")
	}
	if err == nil && *in.Act != "controlActuator" {
		err = schemaErr(`act must be "controlActuator"`)
	}
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	p := in.Params
	if p.Options == nil {
		p.Options = map[string]any{}
	}
	d.mu.Lock()
	gw, sn, err := d.sensorOfLocked(principalOf(r).UserID, *in.ID, *p.ID)
	if err == nil {
		err = checkCommand(sn, *p.Cmd, p.Options)
	}
	if err == nil {
		if st, _ := gw.Status.effective(d.s.nowMs()); st != "on" {
			err = errGatewaySilent
		}
	}
	if err != nil {
		d.mu.Unlock()
		writeAreaErr(w, err)
		return
	}
	result := map[string]any{"cmd": *p.Cmd, "options": p.Options, "result": "success"}
	raw, _ := json.Marshal(result)
	now := d.s.nowMs()
	_ = d.appendLocked(sn, []point{{t: now, v: string(raw)}}, true)
	setStatusLocked(sn.Status, "on", gw.ReportInterval*3/2, now)
	d.mu.Unlock()
	writeData(w, http.StatusOK, result, nil)
}

// checkCommand: the sensor must be an actuator, cmd one of its type's
// commands, options only the command's, required ones present and numbers
// within their bounds.
func checkCommand(sn *sensor, cmd string, opts map[string]any) error {
	st, ok := sensorTypeByID(sn.Type)
	if !ok || st.Category != "actuator" {
		return inputErr("sensor " + sn.ID + " is not an actuator")
	}
	spec, ok := st.Commands[cmd]
	if !ok {
		names := make([]string, 0, len(st.Commands))
		for c := range st.Commands {
			names = append(names, c)
		}
		sort.Strings(names)
		return inputErr(fmt.Sprintf("%s has no command %q (commands: %s)", st.ID, cmd, strings.Join(names, ", ")))
	}
	for name, v := range opts {
		i := slices.IndexFunc(spec, func(o cmdOption) bool { return o.Name == name })
		if i < 0 {
			return inputErr(fmt.Sprintf("command %s has no option %q", cmd, name))
		}
		if err := spec[i].check(v); err != nil {
			return err
		}
	}
	for _, o := range spec {
		if _, given := opts[o.Name]; o.Required && !given && o.Default == nil {
			return inputErr(fmt.Sprintf("command %s needs option %q", cmd, o.Name))
		}
	}
	return nil
}

func (o cmdOption) check(v any) error {
	switch o.Type {
	case "number":
		f, ok := v.(float64)
		if !ok {
			return inputErr("option " + o.Name + " must be a number")
		}
		if (o.Min != nil && f < *o.Min) || (o.Max != nil && f > *o.Max) {
			return inputErr(fmt.Sprintf("option %s is out of range", o.Name))
		}
	case "text":
		if _, ok := v.(string); !ok {
			return inputErr("option " + o.Name + " must be a string")
		}
	case "checkbox":
		if _, ok := v.(bool); !ok {
			return inputErr("option " + o.Name + " must be true or false")
		}
	}
	return nil
}

// errGatewaySilent is 504 PROCESS_COMMAND_RESULT: the gateway did not answer.
var errGatewaySilent = &gatewayError{msg: "the gateway did not answer the command (it is not online)"}

type gatewayError struct{ msg string }

func (e *gatewayError) Error() string { return e.msg }

// ---- registerGatewayKey and activateGatewayKey (§5.12) ----

type gatewayKeyBody struct {
	ID         *string     `json:"id"`
	ModelID    *flexString `json:"modelId"`
	AuthType   *string     `json:"authType"`
	Passphrase *string     `json:"passphrase"`
}

// gatewayKey is a gateway id a user has claimed before the gateway exists.
type gatewayKey struct {
	GatewayID, Model, User, APIKey string
}

// VendorKey is the key a gateway model's vendor uses on activateGatewayKey
// (the sandbox's choice: "vendor-" + the model's id).
func VendorKey(modelID string) string { return "vendor-" + modelID }

// registerGatewayKey: POST /registerGatewayKey {id, modelId, authType
// apikey|apikeyReady|cert} → 200. apikey answers {id: apikey} at once;
// apikeyReady answers without data and leaves the key to the vendor's
// activateGatewayKey; cert is refused (the sandbox issues no certificates).
func (d *deviceArea) registerGatewayKey(w http.ResponseWriter, r *http.Request) {
	if !d.s.requireScope(w, r, "gateway") {
		return
	}
	var in gatewayKeyBody
	err := decodeStrict(r, &in)
	var id string
	if err == nil {
		id, err = checkReqID("id", in.ID)
	}
	if err == nil && (in.ModelID == nil || in.AuthType == nil) {
		err = schemaErr("id, modelId and authType are required")
	}
	if err == nil && !slices.Contains([]string{"apikey", "apikeyReady", "cert"}, *in.AuthType) {
		err = schemaErr(`authType must be "apikey", "apikeyReady" or "cert"`)
	}
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	uid := principalOf(r).UserID
	d.mu.Lock()
	defer d.mu.Unlock()
	if gw := d.gateways[id]; gw != nil && gw.Owner != uid {
		writeAreaErr(w, denied("gateway", id))
		return
	}
	if k := d.keys[id]; k != nil && k.User != uid {
		writeAreaErr(w, denied("gateway", id))
		return
	}
	if _, ok := gatewayModelByID(string(*in.ModelID)); !ok {
		writeAreaErr(w, notFound("gatewayModel", string(*in.ModelID)))
		return
	}
	if *in.AuthType == "cert" {
		writeAreaErr(w, inputErr("the sandbox issues no certificates; use apikey or apikeyReady"))
		return
	}
	k := &gatewayKey{GatewayID: id, Model: string(*in.ModelID), User: uid}
	d.keys[id] = k
	if *in.AuthType == "apikeyReady" {
		writeJSON(w, http.StatusOK, envelope{StatusCode: http.StatusOK, Message: "OK"})
		return
	}
	k.APIKey = newAPIKey()
	writeData(w, http.StatusOK, map[string]string{id: k.APIKey}, nil)
}

type activateBody struct {
	GatewayID *string `json:"gatewayId"`
	VendorKey *string `json:"vendorKey"`
}

// activateGatewayKey: POST /activateGatewayKey {gatewayId, vendorKey}, no
// login → 200 {gatewayId: apikey}. A gateway id nobody registered is 500
// QUERY_RESULT_EMPTY and a wrong vendor key 400 MISMATCH_ERROR, as Thing+
// answers them (§4.7).
func (d *deviceArea) activateGatewayKey(w http.ResponseWriter, r *http.Request) {
	var in activateBody
	err := decodeStrict(r, &in)
	if err == nil && (in.GatewayID == nil || *in.GatewayID == "" || in.VendorKey == nil) {
		err = schemaErr("gatewayId and vendorKey are required")
	}
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	k := d.keys[*in.GatewayID]
	if k == nil {
		writeError(w, http.StatusInternalServerError, "QUERY_RESULT_EMPTY", "no gateway key for "+*in.GatewayID)
		return
	}
	if *in.VendorKey != VendorKey(k.Model) {
		writeError(w, http.StatusBadRequest, "MISMATCH_ERROR", "the vendor key does not match the gateway's model")
		return
	}
	if k.APIKey == "" {
		k.APIKey = newAPIKey()
	}
	writeData(w, http.StatusOK, map[string]string{k.GatewayID: k.APIKey}, nil)
}

// newAPIKey is 20 random bytes in base64, the shape of the sheet's example.
func newAPIKey() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
