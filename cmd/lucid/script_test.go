package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scripts/lucid announces a cold build on stderr, once, and is quiet when
// bin/lucid is newer than every source. The script runs in a copy of the
// repository's layout whose `go` and setup_ort.sh are stand-ins, so the
// test checks the script's logic without building anything.
func TestLucidScriptAnnouncesColdBuild(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("scripts/lucid is a bash script")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	script, err := os.ReadFile(filepath.Join("..", "..", "scripts", "lucid"))
	require.NoError(t, err)
	root := t.TempDir()
	write := func(rel, body string, mode os.FileMode) {
		p := filepath.Join(root, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), mode))
	}
	write("scripts/lucid", string(script), 0o755)
	write("scripts/setup_ort.sh", "#!/bin/sh\nexit 0\n", 0o755)
	write("go.mod", "module example\n", 0o644)
	write("cmd/lucid/main.go", "package main\n", 0o644)
	// The stand-in go "builds" bin/lucid as a script that prints its
	// arguments.
	fakeBin := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(fakeBin, "go"),
		[]byte("#!/bin/sh\nmkdir -p bin && printf '#!/bin/sh\\necho ran \"$@\"\\n' > bin/lucid && chmod +x bin/lucid\n"), 0o755))

	runScript := func() (string, string) {
		cmd := exec.Command("bash", filepath.Join(root, "scripts", "lucid"), "help")
		cmd.Env = append(os.Environ(), "PATH="+fakeBin+string(os.PathListSeparator)+os.Getenv("PATH"))
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		require.NoError(t, cmd.Run(), errOut.String())
		return out.String(), errOut.String()
	}
	const notice = "building lucid (first run downloads Go modules, about 2 minutes)…\n"

	out, errOut := runScript()
	assert.Equal(t, "ran help\n", out)
	assert.Equal(t, notice, errOut, "no binary yet: a cold build")

	out, errOut = runScript()
	assert.Equal(t, "ran help\n", out)
	assert.Empty(t, errOut, "binary newer than the sources: quiet")

	// A source edited after the build makes the next build cold again.
	later := time.Now().Add(time.Minute)
	require.NoError(t, os.Chtimes(filepath.Join(root, "cmd", "lucid", "main.go"), later, later))
	_, errOut = runScript()
	assert.Equal(t, notice, errOut, "a source newer than the binary")
}
