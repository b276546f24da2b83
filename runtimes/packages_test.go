package runtimes

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidatePip(t *testing.T) {
	valid := []string{"pandas", "requests[socks]", "numpy>=1.26,<2", "tiny_pkg==1.0", "a", "Django~=4.2", "x[a,b]==1.0.post1", "pkg===1.0", "foo!=1.*"}
	invalid := []string{
		"", "requests; os.system('x')", "--index-url=http://evil", "-r", "../../etc", "a b",
		"pkg @ http://x/y.whl", "http://x/y.whl", "./local", "/abs", "pkg;python_version<'3'",
		"-e.", "pkg==1.0 --hash=x", "pkg\n", "_leading", "trailing-", "pkg[", "pkg==", "ẞ",
	}
	for _, s := range valid {
		if err := validatePip(s); err != nil {
			t.Errorf("validatePip(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range invalid {
		if err := validatePip(s); err == nil {
			t.Errorf("validatePip(%q) = nil, want an error", s)
		}
	}
}

func TestValidateNpm(t *testing.T) {
	valid := []string{"lodash", "@types/node", "@types/node@20", "left-pad@^1.3.0", "tiny-pkg@latest", "a.b", "x@>=1.0.0", "y@1.x"}
	invalid := []string{
		"", "--registry=http://evil", "../../etc", "a b", "git+https://x/y.git", "user/repo",
		"file:../x", "http://x/y.tgz", "Upper", "@scope", "@scope/", "x@1.0 || 2.0", "x@1 2",
		"-g", "x;rm", "x@github:u/r",
	}
	for _, s := range valid {
		if err := validateNpm(s); err != nil {
			t.Errorf("validateNpm(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range invalid {
		if err := validateNpm(s); err == nil {
			t.Errorf("validateNpm(%q) = nil, want an error", s)
		}
	}
}

func TestInstallCommandsEndOptions(t *testing.T) {
	idx := Index{URL: "http://127.0.0.1:1/simple", ExtraURLs: []string{"http://e"}, TrustedHosts: []string{"127.0.0.1"}}
	pip := pipCommand([]string{"a", "b==1"}, idx)
	wantTail := []string{"--index-url", "http://127.0.0.1:1/simple", "--extra-index-url", "http://e", "--trusted-host", "127.0.0.1", "--", "a", "b==1"}
	if diff := cmp.Diff(wantTail, pip[len(pip)-len(wantTail):]); diff != "" {
		t.Errorf("pipCommand tail mismatch (-want +got):\n%s", diff)
	}
	npm := npmCommand([]string{"x"}, Index{URL: "http://r"})
	if diff := cmp.Diff([]string{"--registry", "http://r", "--", "x"}, npm[len(npm)-4:]); diff != "" {
		t.Errorf("npmCommand tail mismatch (-want +got):\n%s", diff)
	}
}

func TestInstalledPackages(t *testing.T) {
	entries := []string{
		".local/", ".local/lib/python3.11/site-packages/", ".local/lib/python3.11/site-packages/tiny_pkg/__init__.py",
		".local/lib/python3.11/site-packages/tiny_pkg-1.0.dist-info/", ".local/lib/python3.11/site-packages/tiny_pkg-1.0.dist-info/METADATA",
		".local/lib/python3.11/site-packages/dep-2.3.1.dist-info/RECORD",
	}
	want := []Package{{"dep", "2.3.1"}, {"tiny_pkg", "1.0"}}
	if diff := cmp.Diff(want, pipInstalled(entries, nil)); diff != "" {
		t.Errorf("pipInstalled mismatch (-want +got):\n%s", diff)
	}

	for name, want := range map[string]bool{
		"node_modules/x/package.json":                true,
		"node_modules/@s/y/package.json":             true,
		"node_modules/x/node_modules/z/package.json": false,
		"node_modules/x/lib/package.json":            false,
		"node_modules/x/index.js":                    false,
	} {
		if got := npmManifest(name); got != want {
			t.Errorf("npmManifest(%q) = %v, want %v", name, got, want)
		}
	}
	manifests := map[string][]byte{
		"node_modules/x/package.json":    []byte(`{"name":"x","version":"1.2.3"}`),
		"node_modules/@s/y/package.json": []byte(`{"name":"@s/y","version":"0.1.0"}`),
		"node_modules/bad/package.json":  []byte(`not json`),
	}
	if diff := cmp.Diff([]Package{{"@s/y", "0.1.0"}, {"x", "1.2.3"}}, npmInstalled(nil, manifests)); diff != "" {
		t.Errorf("npmInstalled mismatch (-want +got):\n%s", diff)
	}
}
