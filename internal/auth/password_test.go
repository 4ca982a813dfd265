package auth

import (
	"strings"
	"testing"
)

func TestPasswordHashes(t *testing.T) {
	h := HashPassword("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not argon2id with the default parameters", h)
	}
	if h == HashPassword("correct horse battery") {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if !CheckPassword(h, "correct horse battery") {
		t.Error("the right password does not check")
	}
	for _, wrong := range []string{"correct horse batter", "Correct horse battery", ""} {
		if CheckPassword(h, wrong) {
			t.Errorf("%q checks against the hash of another password", wrong)
		}
	}
	// Parameters travel with the hash: a hash made with others still checks.
	light := hashWith("pw", argonParams{memory: 1024, time: 1, threads: 1, keyLen: 16})
	if !CheckPassword(light, "pw") || CheckPassword(light, "px") {
		t.Error("a hash with other parameters does not check correctly")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=x$AA$AA", "$argon2id$v=19$m=1,t=1,p=1$!!$AA"} {
		if CheckPassword(bad, "") {
			t.Errorf("malformed hash %q checks", bad)
		}
	}
}
