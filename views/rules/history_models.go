package rules

import "github.com/thingplus/thingplus-webapp/views/layout"

// VersionRow is one snapshot of a rule.
type VersionRow struct {
	ID, RuleID, Name string
	When, ISO        string
	Who, Action      string
	Summary          string
	Active           bool
	Note             string
	CompareWith      string // "current", a newer version id, or "" (nothing newer to compare)
	Gone             bool   // the rule no longer exists in Thing+ (history index)
}

// HistoryIndex lists every rule with history, deleted ones included.
type HistoryIndex struct {
	Rules  []VersionRow // the newest snapshot of each
	Import *ImportReport
}

// RuleHistory is one rule's snapshots, newest first.
type RuleHistory struct {
	RuleID, Name string
	Current      string // one-line summary of the rule as it is now ("" when gone)
	Gone         bool
	Versions     []VersionRow
	Notice       layout.Notice
}

// Diff compares a snapshot with the current rule or a newer snapshot.
type Diff struct {
	RuleID     string
	Old        VersionRow
	OldSummary string
	NewLabel   string
	NewSummary string
	Changes    []Change
}

// Change is one field that differs (JSON values; empty = absent).
type Change struct {
	Path, Old, New string
}

// ImportReport says what an import does (Dry) or did, rule by rule.
type ImportReport struct {
	Dry     bool
	Mode    string // skip | replace | create
	File    string // the file's text, carried to the apply step
	Items   []ImportItem
	Problem string // the file could not be read
}

// ImportItem is one rule of an import.
type ImportItem struct {
	Name, Outcome, Detail string
	Failed                bool
}
