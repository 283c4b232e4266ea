package node

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/platforms"
	"k8s.io/klog/v2"

	"github.com/shoal-dev/shoal/internal/atomicfile"
	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/runtimebin"
)

// CRINamespace is the containerd namespace kubelet's images live in.
const CRINamespace = "k8s.io"

// pinned keeps kubelet's image garbage collection away from air-gap
// images, which no registry could give back.
var pinned = map[string]string{"io.cri-containerd.pinned": "pinned"}

// Images imports the embedded pause image and every tarball in the
// air-gap directory at start, skipping files unchanged since their last
// import (the record is kept in stateFile).
type Images struct {
	lifecycle.Task
	socket, content, dir, stateFile string
	ready                           chan struct{}
	report                          func(string, ...any)
}

var _ lifecycle.Component = (*Images)(nil)

// NewImages prepares the importer for the containerd at socket, whose
// content store is the directory content.
func NewImages(socket, content, dir, stateFile string, report func(string, ...any)) *Images {
	return &Images{socket: socket, content: content, dir: dir, stateFile: stateFile, ready: make(chan struct{}), report: report}
}

// Name implements lifecycle.Component.
func (i *Images) Name() string { return "images" }

// Start imports in the background, then idles until stopped.
func (i *Images) Start(ctx context.Context) error {
	return i.Go(ctx, func(ctx context.Context) error {
		if err := i.importAll(ctx); err != nil {
			return err
		}
		close(i.ready)
		<-ctx.Done()
		return nil
	})
}

// Ready waits for the start-time import.
func (i *Images) Ready(ctx context.Context) error { return i.WaitFor(ctx, i.ready) }

// Stop implements lifecycle.Component.
func (i *Images) Stop(ctx context.Context) error { return i.Halt(ctx) }

func (i *Images) importAll(ctx context.Context) error {
	c, err := client.New(i.socket, client.WithTimeout(5*time.Second))
	if err != nil {
		return fmt.Errorf("images: connect to containerd: %w", err)
	}
	defer c.Close()
	if err := ensurePause(ctx, c); err != nil {
		return err
	}
	state := loadImportState(i.stateFile)
	files, err := tarballs(i.dir)
	if err != nil {
		return err
	}
	imported := 0
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return err
		}
		key := fmt.Sprintf("%d:%d", st.Size(), st.ModTime().UnixNano())
		if state[f] == key {
			continue
		}
		t0 := time.Now()
		names, err := ImportFile(ctx, c, f)
		if err != nil {
			// One bad tarball must not stop the node: say which, go on.
			klog.ErrorS(err, "air-gap image import failed", "file", f)
			i.report("image import of %s failed: %v", f, err)
			continue
		}
		state[f] = key
		imported++
		i.report("imported %s from %s (%.2fs)", strings.Join(names, ", "), filepath.Base(f), time.Since(t0).Seconds())
		if err := dropPageCache(f); err != nil {
			klog.V(2).InfoS("page cache of an imported tarball kept", "file", f, "err", err)
		}
	}
	if imported > 0 {
		if err := dropTreePageCache(i.content); err != nil {
			klog.V(2).InfoS("page cache of containerd's content store kept", "dir", i.content, "err", err)
		}
	}
	return saveImportState(i.stateFile, state)
}

// ensurePause imports the embedded pause image unless containerd has it.
func ensurePause(ctx context.Context, c *client.Client) error {
	if _, err := c.GetImage(namespaces.WithNamespace(ctx, CRINamespace), runtimebin.PauseImageRef); err == nil {
		return nil
	}
	pause, err := runtimebin.PauseImage()
	if err != nil {
		return err
	}
	if _, err := Import(ctx, c, bytes.NewReader(pause)); err != nil {
		return fmt.Errorf("images: pause: %w", err)
	}
	return nil
}

// tarballs lists the image archives in dir (absent dir: none).
func tarballs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("images dir %s: %w", dir, err)
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && (strings.HasSuffix(n, ".tar") || strings.HasSuffix(n, ".tar.gz") || strings.HasSuffix(n, ".tgz")) {
			out = append(out, filepath.Join(dir, n))
		}
	}
	sort.Strings(out)
	return out, nil
}

// ImportFile imports one OCI or docker-archive tarball (optionally
// gzipped) into the CRI's namespace and unpacks it.
func ImportFile(ctx context.Context, c *client.Client, path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var in io.Reader = r
	if magic, _ := r.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, zerr := gzip.NewReader(r)
		if zerr != nil {
			return nil, fmt.Errorf("%s: %w", path, zerr)
		}
		in = zr
	}
	names, err := Import(ctx, c, in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return names, nil
}

// Import reads one image archive into containerd, pinned and unpacked for
// the overlayfs snapshotter.
func Import(ctx context.Context, c *client.Client, r io.Reader) ([]string, error) {
	ctx = namespaces.WithNamespace(ctx, CRINamespace)
	imgs, err := c.Import(ctx, r, client.WithImportPlatform(platforms.Default()), client.WithImageLabels(pinned))
	if err != nil {
		return nil, fmt.Errorf("not an OCI or docker image archive, or unreadable: %w", err)
	}
	if len(imgs) == 0 {
		return nil, fmt.Errorf("the archive names no image")
	}
	var names []string
	for _, img := range imgs {
		if err := client.NewImageWithPlatform(c, img, platforms.Default()).Unpack(ctx, "overlayfs"); err != nil {
			return nil, fmt.Errorf("unpack %s: %w", img.Name, err)
		}
		names = append(names, img.Name)
	}
	return names, nil
}

func loadImportState(path string) map[string]string {
	state := map[string]string{}
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &state) // a damaged record only costs a re-import
	}
	return state
}

func saveImportState(path string, state map[string]string) error {
	b, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b, 0o600)
}
