// Command pack writes the release binary: the shoal-unpack front, then
// the shoal binary zstd-compressed, then a trailer (see cmd/shoal-unpack).
//
//	pack -front shoal-unpack -in shoal -out shoal.release
package main

import (
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/zstd"
)

func main() {
	front := flag.String("front", "", "the shoal-unpack binary")
	in := flag.String("in", "", "the shoal binary")
	out := flag.String("out", "", "the release binary to write")
	flag.Parse()
	if err := pack(*front, *in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "pack:", err)
		os.Exit(1)
	}
}

func pack(front, in, out string) error {
	if front == "" || in == "" || out == "" {
		return fmt.Errorf("-front, -in and -out are required")
	}
	f, err := os.OpenFile(out, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	defer f.Close()
	src, err := os.Open(front)
	if err != nil {
		return err
	}
	off, err := io.Copy(f, src)
	src.Close()
	if err != nil {
		return err
	}
	bin, err := os.Open(in)
	if err != nil {
		return err
	}
	defer bin.Close()
	h := sha256.New()
	enc, err := zstd.NewWriter(f, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithWindowSize(8<<20))
	if err != nil {
		return err
	}
	if _, err := io.Copy(enc, io.TeeReader(bin, h)); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	end, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	tr := make([]byte, 0, 56)
	tr = append(tr, "SHOALPK1"...)
	tr = binary.LittleEndian.AppendUint64(tr, uint64(off))
	tr = binary.LittleEndian.AppendUint64(tr, uint64(end-off))
	tr = append(tr, h.Sum(nil)...)
	if _, err := f.Write(tr); err != nil {
		return err
	}
	return f.Close()
}
