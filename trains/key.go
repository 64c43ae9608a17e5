package trains

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyFile is the webhook key file name inside the data directory.
const KeyFile = "webhook.key"

// MinKeyLen is the shortest webhook key accepted from the environment.
const MinKeyLen = 16

// SecretFile is the file in the data directory holding the secret the
// per-train webhook tokens are derived from.
const SecretFile = "token.secret"

// LoadOrCreateKey returns the legacy shared webhook key: fromEnv when it is
// set, else the key stored in dir, else a new random 32-byte key (64 hex
// characters) that it stores in dir with mode 0600. The key is never logged.
func LoadOrCreateKey(dir, fromEnv string) (string, error) {
	return loadOrCreate(dir, KeyFile, fromEnv)
}

// LoadKey returns the legacy shared key if there is one (fromEnv, or the
// file an earlier version created in dir), else "" — it creates nothing.
func LoadKey(dir, fromEnv string) (string, error) {
	if strings.TrimSpace(fromEnv) != "" {
		return LoadOrCreateKey(dir, fromEnv)
	}
	k, err := readKey(filepath.Join(dir, KeyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return k, err
}

// LoadOrCreateSecret returns the token secret: fromEnv (WEBHOOK_TOKEN_SECRET,
// for several instances) or the one kept in dir, created on first start.
func LoadOrCreateSecret(dir, fromEnv string) (string, error) {
	return loadOrCreate(dir, SecretFile, fromEnv)
}

func loadOrCreate(dir, file, fromEnv string) (string, error) {
	if k := strings.TrimSpace(fromEnv); k != "" {
		if len(k) < MinKeyLen {
			return "", fmt.Errorf("WEBHOOK_KEY must be at least %d characters", MinKeyLen)
		}
		return k, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("webhook key: %w", err)
	}
	path := filepath.Join(dir, file)
	for range 2 {
		if k, err := readKey(path); err == nil {
			return k, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("webhook key: %w", err)
		}
		k := hex.EncodeToString(b[:])
		// Write a temporary file, then link it into place: the key file is
		// either absent or complete, and if another process won the race we
		// read its key on the next turn.
		f, err := os.CreateTemp(dir, file+".*")
		if err != nil {
			return "", fmt.Errorf("webhook key: %w", err)
		}
		tmp := f.Name()
		werr := f.Chmod(0o600)
		if werr == nil {
			_, werr = f.WriteString(k + "\n")
		}
		if werr == nil {
			werr = f.Sync()
		}
		if err := errors.Join(werr, f.Close()); err != nil {
			os.Remove(tmp)
			return "", fmt.Errorf("webhook key: %w", err)
		}
		err = os.Link(tmp, path)
		os.Remove(tmp)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("webhook key: %w", err)
		}
		return k, nil
	}
	return "", fmt.Errorf("webhook key: %s could not be read or created", path)
}

func readKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		return "", fmt.Errorf("webhook key: %w", err)
	}
	k := strings.TrimSpace(string(b))
	if len(k) < MinKeyLen {
		return "", fmt.Errorf("webhook key: %s is too short; delete it to generate a new key", path)
	}
	// Keep the secret private even if the file was created by hand.
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return "", fmt.Errorf("webhook key: %w", err)
		}
	}
	return k, nil
}
