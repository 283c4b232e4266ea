// Command mkimage writes a single-binary image tarball (used by
// `make images`): mkimage -ref localhost/shoal-echo:v1 -bin FILE -path /shoal-echo -o OUT.tar;
// -file /IN/IMAGE=FILE (repeatable) adds files, e.g. an OS image's
// /boot/vmlinuz and /boot/initrd.img (then -bin may be left out);
// -rootfs DIR puts a whole tree first (the conformance images), with
// -entrypoint/-cmd as JSON arrays, -user and -workdir.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/shoal-dev/shoal/internal/ociimage"
)

func main() {
	var s ociimage.Spec
	var out, env, ports, refs string
	flag.StringVar(&refs, "ref", "", "image reference, e.g. localhost/shoal-echo:v1 (comma-separated: more names for it)")
	flag.StringVar(&s.RootFS, "rootfs", "", "directory whose tree is the image's first layer")
	flag.StringVar(&s.User, "user", "", "user the image runs as")
	flag.StringVar(&s.WorkingDir, "workdir", "", "working directory")
	flag.Func("entrypoint", `JSON array, e.g. ["/agnhost"]`, jsonArray(&s.Entrypoint))
	flag.Func("cmd", `JSON array, e.g. ["pause"]`, jsonArray(&s.Cmd))
	flag.StringVar(&s.Binary, "bin", "", "static binary to put in the image")
	flag.StringVar(&s.InImage, "path", "", "absolute path of the binary inside the image")
	flag.StringVar(&env, "env", "", "comma-separated KEY=value")
	flag.StringVar(&ports, "ports", "", "comma-separated exposed ports, e.g. 8080/tcp")
	flag.StringVar(&out, "o", "", "output tarball")
	s.Files = map[string]string{}
	flag.Func("file", "/PATH/IN/IMAGE=FILE: one more file (repeatable)", func(v string) error {
		in, host, ok := strings.Cut(v, "=")
		if !ok || !strings.HasPrefix(in, "/") || host == "" {
			return fmt.Errorf("want /PATH/IN/IMAGE=FILE, got %q", v)
		}
		s.Files[in] = host
		return nil
	})
	flag.Parse()
	all := strings.Split(refs, ",")
	s.Ref, s.MoreRefs = all[0], all[1:]
	if s.Ref == "" || out == "" || (s.Binary == "" && len(s.Files) == 0 && s.RootFS == "") || (s.Binary != "" && !strings.HasPrefix(s.InImage, "/")) {
		fmt.Fprintln(os.Stderr, "mkimage: -ref, -o and -bin with an absolute -path (or -file, or -rootfs) are required")
		os.Exit(2)
	}
	if env != "" {
		s.Env = strings.Split(env, ",")
	}
	if ports != "" {
		s.Ports = strings.Split(ports, ",")
	}
	digest, err := ociimage.Write(s, out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
	fmt.Printf("%s %s %s\n", out, refs, digest)
}

func jsonArray(dst *[]string) func(string) error {
	return func(v string) error {
		if err := json.Unmarshal([]byte(v), dst); err != nil {
			return fmt.Errorf("want a JSON array of strings: %w", err)
		}
		return nil
	}
}
