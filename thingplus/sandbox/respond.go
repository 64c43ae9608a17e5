package sandbox

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// Errors the areas share; writeErr maps them to the v2 error envelope.
var (
	errConflict = errors.New("conflict")
	errNotFound = errors.New("not found")
	errDenied   = errors.New("access denied")
)

// maxBody bounds every request body the sandbox reads.
const maxBody = 1 << 20

// envelope is the v2 wrapper (§4.1).
type envelope struct {
	StatusCode int         `json:"statusCode"`
	Message    string      `json:"message"`
	Data       any         `json:"data,omitempty"`
	Meta       any         `json:"_meta,omitempty"`
	Errors     []errorItem `json:"errors,omitempty"`
}

type errorItem struct {
	Code     string `json:"code"`
	Message  string `json:"message"`
	Category string `json:"category,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeData answers a v2 success. message is "OK" unless given.
func writeData(w http.ResponseWriter, status int, data any, meta any) {
	msg := "OK"
	if status == http.StatusCreated {
		msg = "Created"
	}
	writeJSON(w, status, envelope{StatusCode: status, Message: msg, Data: data, Meta: meta})
}

// writeDataMsg is writeData with an explicit message (POST /rules answers 201 "OK").
func writeDataMsg(w http.ResponseWriter, status int, msg string, data any) {
	writeJSON(w, status, envelope{StatusCode: status, Message: msg, Data: data})
}

// writeNoContent answers a DELETE.
func writeNoContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

// categories of the v2 error codes (§4.7).
var errorCategory = map[string]string{
	"SCHEMA_VALIDATE": "REQUEST_ERROR", "NOT_FOUND": "REQUEST_ERROR", "MISMATCH_ERROR": "REQUEST_ERROR",
	"CONFLICT": "REQUEST_ERROR", "INVALID_INPUT": "REQUEST_ERROR", "JSON_PARSING": "REQUEST_ERROR",
	"NEED_LOGIN": "AUTHENTICATION_ERROR", "ACCESSGROUP_DENY": "AUTHORIZATION_ERROR", "ACL_DENY": "AUTHORIZATION_ERROR",
	"INTERNAL_ERROR": "SERVER_ERROR", "BILLING": "BILLING_ERROR",
}

// writeError answers a v2 error: {"statusCode","message","errors":[{"code","message"}]} (§9.1).
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, envelope{
		StatusCode: status,
		Message:    http.StatusText(status),
		Errors:     []errorItem{{Code: code, Message: message, Category: errorCategory[code]}},
	})
}

// writeErr maps the shared sentinel errors.
func writeErr(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, errNotFound):
		writeError(w, http.StatusNotFound, "NOT_FOUND", err.Error())
	case errors.Is(err, errDenied):
		writeError(w, http.StatusForbidden, "ACCESSGROUP_DENY", err.Error())
	case errors.Is(err, errConflict):
		writeError(w, http.StatusConflict, "CONFLICT", err.Error())
	default:
		var v *validationError
		if errors.As(err, &v) {
			writeError(w, http.StatusBadRequest, v.code(), v.msg)
			return
		}
		writeError(w, http.StatusInternalServerError, "INTERNAL_ERROR", "internal error")
	}
}

// validationError is a 400 with SCHEMA_VALIDATE (or INVALID_INPUT when input is true).
type validationError struct {
	msg   string
	input bool
}

func (e *validationError) Error() string { return e.msg }

func (e *validationError) code() string {
	if e.input {
		return "INVALID_INPUT"
	}
	return "SCHEMA_VALIDATE"
}

func schemaErr(msg string) error { return &validationError{msg: msg} }

func inputErr(msg string) error { return &validationError{msg: msg, input: true} }

// decodeStrict reads a JSON body into v, refusing unknown keys, trailing data
// and bodies over maxBody, as Thing+ does (additionalProperties:false).
func decodeStrict(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return schemaErr("invalid body: " + err.Error())
	}
	if dec.More() {
		return schemaErr("invalid body: trailing data")
	}
	return nil
}
