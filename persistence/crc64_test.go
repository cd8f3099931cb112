package persistence

import "testing"

func TestCRC64MatchesRedis(t *testing.T) {
	// The check value of Redis's crc64.c self test.
	if got := CRC64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64(123456789) = %#x", got)
	}
	lorem := []byte("This is a test of the emergency broadcast system.")
	whole := CRC64(0, lorem)
	for cut := range lorem {
		if got := CRC64(CRC64(0, lorem[:cut]), lorem[cut:]); got != whole {
			t.Fatalf("split at %d: %#x != %#x", cut, got, whole)
		}
	}
}
