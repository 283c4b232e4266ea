package bootstrap

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// iterations of PBKDF2: a fraction of a second on a small ARM board, once
// per start.
const iterations = 100_000

// sealed is the stored form.
type sealed struct {
	Salt  []byte `json:"salt"`
	Nonce []byte `json:"nonce"`
	Data  []byte `json:"data"` // AES-256-GCM of the JSON file map
}

// Key is the datastore key of the bootstrap data sealed with credential;
// it names no secret (a hash of a hash).
func Key(credential string) string {
	sum := sha256.Sum256([]byte("shoal-bootstrap:" + credential))
	return "/shoal/bootstrap/" + hex.EncodeToString(sum[:8])
}

// Seal encrypts files (path relative to the data dir → content).
func Seal(files map[string][]byte, credential string) ([]byte, error) {
	plain, err := json.Marshal(files)
	if err != nil {
		return nil, err
	}
	s := sealed{Salt: make([]byte, 16)}
	if _, err := rand.Read(s.Salt); err != nil {
		return nil, err
	}
	gcm, err := aead(credential, s.Salt)
	if err != nil {
		return nil, err
	}
	s.Nonce = make([]byte, gcm.NonceSize())
	if _, err := rand.Read(s.Nonce); err != nil {
		return nil, err
	}
	s.Data = gcm.Seal(nil, s.Nonce, plain, []byte(Key(credential)))
	return json.Marshal(s)
}

// Open decrypts what Seal wrote; a wrong credential is an error.
func Open(blob []byte, credential string) (map[string][]byte, error) {
	var s sealed
	if err := json.Unmarshal(blob, &s); err != nil {
		return nil, fmt.Errorf("bootstrap data: %w", err)
	}
	gcm, err := aead(credential, s.Salt)
	if err != nil {
		return nil, err
	}
	if len(s.Nonce) != gcm.NonceSize() {
		return nil, errors.New("bootstrap data: bad nonce")
	}
	plain, err := gcm.Open(nil, s.Nonce, s.Data, []byte(Key(credential)))
	if err != nil {
		return nil, errors.New("bootstrap data does not open with this token (wrong --token?)")
	}
	var files map[string][]byte
	return files, json.Unmarshal(plain, &files)
}

func aead(credential string, salt []byte) (cipher.AEAD, error) {
	key, err := pbkdf2.Key(sha256.New, credential, salt, iterations, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
