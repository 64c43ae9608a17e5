package trains

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Moving the trains from the embedded SQLite file to PostgreSQL
// (`thingplus-webapp trains export | thingplus-webapp trains import`): the
// export is JSON lines, a header {"table", "columns"} before each table's
// rows (one JSON array per row), so a big event log streams through
// without being held in memory. The trains' own tables travel, and the
// tables other packages keep in the same database (Shared); the
// version counter and its epoch are the new database's, so open tabs take
// a fresh snapshot.

// transferTables are the tables that travel, parents before children.
var transferTables = []string{
	"trains", "cars", "doors", "train_settings", "train_shares", "train_tokens",
	"events", "event_keys", "flags",
}

type transferHeader struct {
	Table   string   `json:"table"`
	Columns []string `json:"columns"`
}

// Shared names the tables other packages keep in the trains database (rule
// history, last visits): export and import carry them after the trains'.
type Shared struct {
	Tables []string
	// Create makes those tables in the new database before the import
	// (nil: they exist).
	Create func(ctx context.Context, db *sql.DB) error
}

// Export writes the trains in the SQLite database in dir to w (an older
// file is migrated first), and the shared tables that exist there. Run it
// with the app stopped: pushes after the export are not in it.
func Export(ctx context.Context, dir string, w io.Writer, shared Shared) error {
	wdb, rdb, _, _, err := openDB(ctx, dir, "") // migrates an older file first
	if err != nil {
		return err
	}
	defer wdb.Close()
	defer rdb.Close()
	tx, err := rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}) // one consistent view
	if err != nil {
		return err
	}
	defer tx.Rollback()
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, t := range transferTables {
		if err := exportTable(ctx, tx, t, enc); err != nil {
			return fmt.Errorf("trains: export %s: %w", t, err)
		}
	}
	for _, t := range shared.Tables {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", t).Scan(&n); err != nil {
			return fmt.Errorf("trains: export %s: %w", t, err)
		}
		if n == 0 { // that part of the app never ran on this file
			continue
		}
		if err := exportTable(ctx, tx, t, enc); err != nil {
			return fmt.Errorf("trains: export %s: %w", t, err)
		}
	}
	return bw.Flush()
}

func exportTable(ctx context.Context, tx *sql.Tx, table string, enc *json.Encoder) error {
	rows, err := tx.QueryContext(ctx, "SELECT * FROM "+table)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	if err := enc.Encode(transferHeader{Table: table, Columns: cols}); err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		if err := enc.Encode(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Imported counts the rows Import wrote per table.
type Imported map[string]int

// Import reads an export into the PostgreSQL database at dbURL, which must
// hold no trains yet (a fresh database: the schema is created first). It
// is one transaction: on any error nothing is imported.
func Import(ctx context.Context, dbURL string, r io.Reader, shared Shared) (Imported, error) {
	if dbURL == "" {
		return nil, errors.New("trains: import needs DATABASE_URL")
	}
	wdb, rdb, b, _, err := openDB(ctx, "", dbURL)
	if err != nil {
		return nil, err
	}
	defer wdb.Close()
	defer rdb.Close()
	if shared.Create != nil {
		if err := shared.Create(ctx, wdb); err != nil {
			return nil, fmt.Errorf("trains: import: %w", err)
		}
	}
	tx, err := wdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := b.lockVersion(ctx, tx); err != nil {
		return nil, err
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM trains").Scan(&n); err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, fmt.Errorf("trains: import: the database has %d trains already; import into an empty one", n)
	}
	got := Imported{}
	dec := json.NewDecoder(bufio.NewReader(r))
	dec.UseNumber()
	var cur *importTable
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("trains: import: %w", err)
		}
		if len(raw) > 0 && raw[0] == '{' {
			var h transferHeader
			if err := json.Unmarshal(raw, &h); err != nil {
				return nil, fmt.Errorf("trains: import: %w", err)
			}
			if cur, err = newImportTable(ctx, tx, h, shared.Tables); err != nil {
				return nil, err
			}
			got[h.Table] += 0
			continue
		}
		if cur == nil {
			return nil, errors.New("trains: import: a row before any table header")
		}
		var row []any
		d := json.NewDecoder(strings.NewReader(string(raw)))
		d.UseNumber()
		if err := d.Decode(&row); err != nil {
			return nil, fmt.Errorf("trains: import %s: %w", cur.name, err)
		}
		if err := cur.insert(ctx, tx, row); err != nil {
			return nil, fmt.Errorf("trains: import %s: %w", cur.name, err)
		}
		got[cur.name]++
	}
	// Ids handed out later continue after the imported ones.
	for _, t := range []string{"events", "flags"} {
		if _, err := tx.ExecContext(ctx, "SELECT setval(pg_get_serial_sequence('"+t+"', 'id'), COALESCE((SELECT max(id) FROM "+t+"), 0) + 1, false)"); err != nil {
			return nil, fmt.Errorf("trains: import: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE trains_version SET v = v + 1 WHERE id = 1"); err != nil {
		return nil, err
	}
	return got, tx.Commit()
}

type importTable struct {
	name  string
	query string
	bools []bool // columns that are BOOLEAN here and 0/1 in SQLite
}

func newImportTable(ctx context.Context, tx *sql.Tx, h transferHeader, shared []string) (*importTable, error) {
	known := slices.Contains(transferTables, h.Table) || slices.Contains(shared, h.Table)
	if !known || len(h.Columns) == 0 {
		return nil, fmt.Errorf("trains: import: unknown table %q", h.Table)
	}
	types := map[string]string{}
	rows, err := tx.QueryContext(ctx, "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?", h.Table)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var c, t string
		if err := rows.Scan(&c, &t); err != nil {
			rows.Close()
			return nil, err
		}
		types[c] = t
	}
	rows.Close()
	t := &importTable{name: h.Table, bools: make([]bool, len(h.Columns))}
	for i, c := range h.Columns {
		typ, ok := types[c]
		if !ok {
			return nil, fmt.Errorf("trains: import: %s has no column %q (export from a newer version?)", h.Table, c)
		}
		t.bools[i] = typ == "boolean"
	}
	// Column names come from the header but were checked against the schema.
	t.query = "INSERT INTO " + h.Table + "(" + strings.Join(h.Columns, ", ") + ") VALUES(" +
		strings.TrimSuffix(strings.Repeat("?, ", len(h.Columns)), ", ") + ")"
	return t, nil
}

func (t *importTable) insert(ctx context.Context, tx *sql.Tx, row []any) error {
	if len(row) != len(t.bools) {
		return fmt.Errorf("a row of %d values for %d columns", len(row), len(t.bools))
	}
	for i, v := range row {
		n, isNum := v.(json.Number)
		switch {
		case t.bools[i] && isNum:
			row[i] = n.String() != "0"
		case isNum:
			x, err := n.Int64()
			if err != nil {
				return fmt.Errorf("value %s is not a whole number", n)
			}
			row[i] = x
		}
	}
	_, err := tx.ExecContext(ctx, t.query, row...)
	return err
}
