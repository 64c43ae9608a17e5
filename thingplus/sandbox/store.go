package sandbox

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
)

// User is a Thing+ account (§5.2).
type User struct {
	ID          string
	LoginID     string
	Email       string
	Nickname    string
	PasswordMD5 string // lowercase hex MD5 of the plain password, as Thing+ stores it
	Locale      string
	Timezone    string
	Country     string
	Ctime       int64
	Mtime       int64
}

// View is the users/me representation (times as strings, as GET returns them).
func (u *User) View() map[string]any {
	return map[string]any{
		"id": u.ID, "loginId": u.LoginID, "email": u.Email, "verifiedEmail": u.Email,
		"nickname": u.Nickname, "locale": u.Locale, "timezone": u.Timezone, "country": u.Country,
		"accessApproval": "allow", "_service": "1", "_site": "1",
		"roles":   []string{"user:" + u.ID},
		"billing": "user:" + u.ID, "billingLimit": "user:" + u.ID + ":limit",
		"billingCurrent": "user:" + u.ID + ":current", "billingMeter": "user:" + u.ID + ":meter",
		"ctime": strconv.FormatInt(u.Ctime, 10), "mtime": strconv.FormatInt(u.Mtime, 10),
	}
}

// Client is a registered OAuth client (authClients, §3.3).
type Client struct {
	ID           string // reqId
	Secret       string
	Name         string
	Scopes       []string
	RedirectURIs []string // optional (§9.3): empty accepts any redirect URI
	OwnerID      string
	Ctime, Mtime int64
}

// MD5Hex is how Thing+ expects passwords on /login and the password grant.
func MD5Hex(plain string) string {
	sum := md5.Sum([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// DemoUserID is the id of the seeded demo account (login demo, password demo).
const DemoUserID = "1"

func (s *Sandbox) seedUsers() {
	now := s.nowMs()
	s.addUserLocked(&User{LoginID: "demo", Email: "demo@example.com", Nickname: "Demo",
		PasswordMD5: MD5Hex("demo"), Locale: "ko", Timezone: "+9.00", Country: "kr", Ctime: now, Mtime: now})
	s.addUserLocked(&User{LoginID: "other", Email: "other@example.com", Nickname: "Other",
		PasswordMD5: MD5Hex("other"), Locale: "en", Timezone: "+9.00", Country: "kr", Ctime: now, Mtime: now})
}

// addUserLocked assigns the next numeric id. Callers hold s.mu (or run before serving).
func (s *Sandbox) addUserLocked(u *User) *User {
	s.nextUser++
	u.ID = strconv.Itoa(s.nextUser)
	s.users[u.ID] = u
	return u
}

// CreateUser registers an account (the sign-up page). It fails with
// errConflict when the loginId is taken.
func (s *Sandbox) CreateUser(loginID, email, nickname, password string) (*User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.LoginID == loginID {
			return nil, errConflict
		}
	}
	now := s.nowMs()
	return s.addUserLocked(&User{LoginID: loginID, Email: email, Nickname: nickname,
		PasswordMD5: MD5Hex(password), Locale: "en", Timezone: "+9.00", Country: "kr", Ctime: now, Mtime: now}), nil
}

// SetTimezone changes an account's Thing+ time zone as users/me reports it
// ("+9.00"; "" for an account that never set one). For tests and tools.
func (s *Sandbox) SetTimezone(loginID, tz string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.LoginID == loginID {
			u.Timezone, u.Mtime = tz, s.nowMs()
			return nil
		}
	}
	return errNotFound
}

// userByLogin checks a loginId and an MD5-hex password.
func (s *Sandbox) userByLogin(loginID, passwordMD5 string) (*User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, u := range s.users {
		if u.LoginID == loginID && u.PasswordMD5 == passwordMD5 {
			return u, true
		}
	}
	return nil, false
}

func (s *Sandbox) userByID(id string) (*User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[id]
	return u, ok
}

func (s *Sandbox) seedAppClient() {
	a := s.opts.App
	if a.ID == "" {
		return
	}
	now := s.nowMs()
	s.clients[a.ID] = &Client{ID: a.ID, Secret: a.Secret, Name: a.Name, Scopes: a.Scopes,
		RedirectURIs: a.RedirectURIs, OwnerID: "1", Ctime: now, Mtime: now}
}

func (s *Sandbox) clientByID(id string) (*Client, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.clients[id]
	return c, ok
}
