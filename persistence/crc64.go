package persistence

// Redis's CRC-64 ("Jones" polynomial, reflected input and output, initial
// value 0, no final xor): the RDB trailer and the DUMP payload checksum.
// Tables for slicing by eight, as Redis's crcspeed does, since a snapshot
// checksums every byte it writes.

const crc64Poly = 0x95ac9329ac4bc9b5 // 0xad93d23594c935a9 bit-reversed

var crc64Tables = func() *[8][256]uint64 {
	var t [8][256]uint64
	for i := range 256 {
		crc := uint64(i)
		for range 8 {
			if crc&1 == 1 {
				crc = crc>>1 ^ crc64Poly
			} else {
				crc >>= 1
			}
		}
		t[0][i] = crc
	}
	for i := range 256 {
		crc := t[0][i]
		for k := 1; k < 8; k++ {
			crc = t[0][crc&0xff] ^ crc>>8
			t[k][i] = crc
		}
	}
	return &t
}()

// CRC64 continues crc over b (start with 0).
func CRC64(crc uint64, b []byte) uint64 {
	t := crc64Tables
	for len(b) >= 8 {
		crc ^= uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		crc = t[7][crc&0xff] ^ t[6][crc>>8&0xff] ^ t[5][crc>>16&0xff] ^ t[4][crc>>24&0xff] ^
			t[3][crc>>32&0xff] ^ t[2][crc>>40&0xff] ^ t[1][crc>>48&0xff] ^ t[0][crc>>56]
		b = b[8:]
	}
	for _, c := range b {
		crc = t[0][byte(crc)^c] ^ crc>>8
	}
	return crc
}
