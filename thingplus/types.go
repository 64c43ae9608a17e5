package thingplus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Millis is a Thing+ time: ms since the epoch, sent as a string in reads and
// as a number in create responses (§4.4). "-1" means never (expireAt).
type Millis int64

// Never is expireAt "-1".
const Never Millis = -1

func (m *Millis) UnmarshalJSON(b []byte) error {
	v, err := parseIntish(b)
	if err != nil {
		return fmt.Errorf("time: %w", err)
	}
	*m = Millis(v)
	return nil
}

func (m Millis) MarshalJSON() ([]byte, error) { return []byte(strconv.FormatInt(int64(m), 10)), nil }

// Time converts to time.Time; zero and Never give the zero time.
func (m Millis) Time() time.Time {
	if m <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(m))
}

// Str is a value Thing+ sends as a string or a number (model, reportInterval,
// sequence, degree). It keeps the text form.
type Str string

func (s *Str) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		*s = ""
		return nil
	}
	if b[0] == '"' {
		if plain, ok := plainQuoted(b); ok {
			*s = Str(plain)
			return nil
		}
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = Str(v)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want string or number: %w", err)
	}
	*s = Str(n.String())
	return nil
}

// Int parses the text as an integer (0 when it is not one).
func (s Str) Int() int64 {
	v, _ := strconv.ParseInt(string(s), 10, 64)
	return v
}

// Flag is a "y"/"n" string flag; it also accepts JSON booleans.
type Flag bool

func (f *Flag) UnmarshalJSON(b []byte) error {
	switch string(bytes.TrimSpace(b)) {
	case `"y"`, `"Y"`, `"true"`, `true`:
		*f = true
	case `"n"`, `"N"`, `"false"`, `false`, `""`, `null`:
		*f = false
	default:
		return fmt.Errorf("flag: unexpected %s", b)
	}
	return nil
}

func (f Flag) MarshalJSON() ([]byte, error) {
	if f {
		return []byte(`"y"`), nil
	}
	return []byte(`"n"`), nil
}

func parseIntish(b []byte) (int64, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return 0, nil
	}
	if b[0] == '"' {
		s, ok := plainQuoted(b)
		if !ok {
			if err := json.Unmarshal(b, &s); err != nil {
				return 0, err
			}
		}
		if s == "" {
			return 0, nil
		}
		return strconv.ParseInt(s, 10, 64)
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return 0, err
	}
	if v, err := n.Int64(); err == nil {
		return v, nil
	}
	f, err := n.Float64()
	return int64(f), err
}

// plainQuoted returns the inside of a JSON string without escapes or control
// characters: the common case ("1490769625019", "on"), decoded without a
// second trip through encoding/json.
func plainQuoted(b []byte) (string, bool) {
	if len(b) < 2 || b[len(b)-1] != '"' {
		return "", false
	}
	inner := b[1 : len(b)-1]
	for _, c := range inner {
		if c == '\\' || c == '"' || c < 0x20 || c >= 0x80 {
			return "", false
		}
	}
	return string(inner), true
}
