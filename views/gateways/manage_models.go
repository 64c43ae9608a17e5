package gateways

import (
	"context"
	"encoding/hex"
	"net/url"

	"github.com/thingplus/thingplus-webapp/views/text"
)

// View models of gateway management: adding a gateway, and renaming,
// re-timing and deleting one from its open row or its own page.

// AddForm is the "Add a virtual gateway" section of /gateways: closed (a
// button that opens the form in place), or the form with what the user
// typed, the messages next to the fields and the outcome.
type AddForm struct {
	Open     bool
	Page     bool // on its own page (no JavaScript): the heading is the h1
	Real     bool // "Add a real gateway": real models and the gateway id; else virtual models, no id
	Name     string
	Model    string
	ID       string
	Site     string
	Minutes  string
	Models   []OptionGroup
	Sites    []Option
	SiteText bool              // the sites could not be read: a text input instead of a choice
	Errors   map[string]string // by field: name, model, id, site, minutes
	Notice   Notice            // Thing+'s refusal in words, or the success
	Added    *Link             // the gateway just added
}

// OptionGroup is an <optgroup>.
type OptionGroup struct {
	Label   string
	Options []Option
}

// Link is a link's text and target.
type Link struct {
	Text, Href string
}

// Err is the message of a field ("" when it is fine).
func (f AddForm) Err(field string) string { return f.Errors[field] }

// addFields are the form's fields in page order.
var addFields = []string{"name", "model", "id", "site", "minutes"}

// Title is the section's heading: adding a virtual or a real gateway.
func (f AddForm) Title(ctx context.Context) string {
	if f.Real {
		return text.T(ctx, "gw.add.real.title")
	}
	return text.T(ctx, "gw.add.title")
}

// Focus reports whether field gets the focus when the form appears: the
// first field with a mistake, else the name.
func (f AddForm) Focus(field string) bool {
	for _, k := range addFields {
		if f.Errors[k] != "" {
			return k == field
		}
	}
	return field == "name"
}

// Manage is one gateway's management panel: rename, report interval,
// delete. It sits in the gateway's open row (and on /gateways/{id}/manage).
type Manage struct {
	ID      string
	Title   string // the gateway's current name
	Name    string // the rename field's value
	Minutes string // the interval field's value
	Current string // "Now every 5 min."
	Errors  map[string]string
	Notice  Notice
	Page    bool   // on its own page: no heading of its own, deletes via the confirmation page
	Confirm string // the question asked before deleting
	// Retitle: this answer also replaces the gateway page's heading (an
	// htmx rename from that page, which swaps only the panel).
	Retitle bool
}

// Err is the message of a field ("" when it is fine).
func (m Manage) Err(field string) string { return m.Errors[field] }

// DomID is the panel's element id: the gateway id hex-encoded, since
// Thing+ ids may hold ':' and '.', which CSS selectors (and htmx's
// hx-preserve) would misread.
func (m Manage) DomID() string { return ManageDomID(m.ID) }

// ManageDomID is the element id of gateway id's management slot.
func ManageDomID(id string) string { return "gwm-" + hex.EncodeToString([]byte(id)) }

// ManageURL is a gateway's management URL plus suffix ("/name", "/delete").
func ManageURL(id, suffix string) string { return "/gateways/" + url.PathEscape(id) + suffix }

// DeleteConfirm is the confirmation page for browsers without JavaScript.
type DeleteConfirm struct {
	ID       string
	Name     string
	Question string // Delete the gateway "…"?
	Details  string // what goes with it
}
