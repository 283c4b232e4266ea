package configfile

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"
)

// Apply reads path and sets every key on fs that was not already set on the
// command line. A missing file is only an error when required is true (the
// user named it). The key "config" itself is refused.
func Apply(fs *pflag.FlagSet, path string, required bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !required {
			return nil
		}
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return ApplyBytes(fs, path, data)
}

// ApplyBytes is Apply on data already read; path is only used in errors.
func ApplyBytes(fs *pflag.FlagSet, path string, data []byte) error {
	values := map[string]any{}
	if err := yaml.UnmarshalStrict(data, &values); err != nil {
		return fmt.Errorf("config file %s: not a YAML map of flag names to values: %s", path, oneLine(err))
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if err := applyKey(fs, key, values[key]); err != nil {
			return fmt.Errorf("config file %s: key %q: %w", path, key, err)
		}
	}
	return nil
}

func applyKey(fs *pflag.FlagSet, key string, value any) error {
	if key == "config" {
		return errors.New("cannot be set inside a config file")
	}
	flag := fs.Lookup(key)
	if flag == nil || flag.Hidden {
		return errors.New("unknown key (keys are the long flag names of this command, see --help)")
	}
	if flag.Changed {
		return nil // the command line wins
	}
	items, isList := value.([]any)
	if !isList {
		items = []any{value}
	} else if !isRepeatable(flag) {
		return errors.New("takes a single value, not a list")
	}
	for _, item := range items {
		s, err := scalar(item)
		if err != nil {
			return err
		}
		if err := fs.Set(key, s); err != nil {
			return fmt.Errorf("invalid value %q: %s", s, oneLine(err))
		}
	}
	return nil
}

func isRepeatable(f *pflag.Flag) bool {
	t := f.Value.Type()
	return strings.HasSuffix(t, "Slice") || strings.HasSuffix(t, "Array")
}

func scalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int:
		return strconv.Itoa(x), nil
	case nil:
		return "", errors.New("has no value")
	default:
		return "", fmt.Errorf("must be a string, number or boolean, not %T", v)
	}
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
