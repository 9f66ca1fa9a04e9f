package configs

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Env is where ${…} expressions get their values. The zero Env uses the
// process environment and file system.
type Env struct {
	// Lookup returns an environment variable; nil means os.LookupEnv.
	Lookup func(name string) (string, bool)
	// ReadFile reads a secret file; nil means the file system (regular
	// files only, read up to the size limit).
	ReadFile func(path string) ([]byte, error)
	// Hostname gives the default node name; nil means os.Hostname.
	Hostname func() (string, error)
}

func (e Env) lookup(name string) (string, bool) {
	if e.Lookup != nil {
		return e.Lookup(name)
	}
	return os.LookupEnv(name)
}

func (e Env) readFile(path string) ([]byte, error) {
	if e.ReadFile != nil {
		return e.ReadFile(path)
	}
	return readSecretFile(path)
}

// readSecretFile reads at most maxSecretFile+1 bytes of a regular file: a
// mistyped path (/dev/zero, a FIFO, a huge log) must neither exhaust the
// daemon's memory nor block a reload.
func readSecretFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s)", path, st.Mode().Type())
	}
	return io.ReadAll(io.LimitReader(f, maxSecretFile+1))
}

func (e Env) hostname() (string, error) {
	if e.Hostname != nil {
		return e.Hostname()
	}
	return os.Hostname()
}

// maxSecretFile bounds what ${file:…} reads: a secret is small, and a
// mistyped path to a huge file must not eat the daemon's memory.
const maxSecretFile = 64 << 10

// expand replaces the ${…} expressions of s:
//
//	${NAME}           environment variable NAME; an error when unset
//	${NAME:-default}  NAME, or default when NAME is unset or empty
//	${file:PATH}      the contents of PATH, without its final newline
//	${cred:NAME}      the systemd credential NAME, i.e.
//	                  $CREDENTIALS_DIRECTORY/NAME (see LoadCredential=)
//	$$                a literal '$'
//
// A '$' followed by anything else stays as it is, so passwords written
// literally need no escaping unless they contain "${" or "$$".
//
// It also returns the inserted values, so that error messages can leave
// them out.
func (e Env) expand(s string) (string, []string, error) {
	if !strings.Contains(s, "$") {
		return s, nil, nil
	}
	var inserted []string
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			i++
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i += 2
			continue
		case '{':
		default:
			b.WriteByte(c)
			i++
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			// The text is not quoted: it may be part of a password.
			return "", nil, fmt.Errorf("unterminated \"${\" (write \"$$\" for a literal '$')")
		}
		expr := s[i+2 : i+2+end]
		if strings.Contains(expr, "${") {
			// ${A:-${B}} would end at the first '}' and insert "${B"
			// literally: a wrong password with no error.
			return "", nil, fmt.Errorf("nested \"${\" inside \"${…}\" is not supported (a default is literal text)")
		}
		v, err := e.resolve(expr)
		if err != nil {
			return "", nil, err
		}
		b.WriteString(v)
		inserted = append(inserted, v)
		i += 2 + end + 1
	}
	return b.String(), inserted, nil
}

func (e Env) resolve(expr string) (string, error) {
	switch {
	case strings.HasPrefix(expr, "file:"):
		return e.readSecret(strings.TrimPrefix(expr, "file:"))
	case strings.HasPrefix(expr, "cred:"):
		name := strings.TrimPrefix(expr, "cred:")
		if name == "" || strings.ContainsAny(name, "/\\") || name == "." || name == ".." {
			return "", fmt.Errorf("${cred:%s}: invalid credential name", name)
		}
		dir, ok := e.lookup("CREDENTIALS_DIRECTORY")
		if !ok || dir == "" {
			return "", fmt.Errorf("${cred:%s}: $CREDENTIALS_DIRECTORY is not set (load the credential with LoadCredential= in the systemd unit, or use ${file:PATH})", name)
		}
		return e.readSecret(filepath.Join(dir, name))
	}
	name, def, hasDef := strings.Cut(expr, ":-")
	if !validEnvName(name) {
		return "", fmt.Errorf("invalid variable name in \"${…}\": want letters, digits and '_', not starting with a digit (write \"$$\" for a literal '$')")
	}
	v, ok := e.lookup(name)
	if hasDef {
		if !ok || v == "" {
			return def, nil
		}
		return v, nil
	}
	if !ok {
		return "", fmt.Errorf("environment variable %s is not set (write ${%s:-default} to allow that)", name, name)
	}
	return v, nil
}

func (e Env) readSecret(path string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("${file:}: empty path")
	}
	data, err := e.readFile(path)
	if err != nil {
		return "", fmt.Errorf("read secret file: %w", err)
	}
	if len(data) > maxSecretFile {
		return "", fmt.Errorf("secret file %s: larger than %d bytes", path, maxSecretFile)
	}
	s := strings.TrimSuffix(string(data), "\n")
	return strings.TrimSuffix(s, "\r"), nil
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
