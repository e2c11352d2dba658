package research_test

import (
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/aiwfe/aiwfe/app/research"
)

// Readability on real pages: HTML shipped in Debian packages'
// documentation (scripts/test-deps.sh installs them), each with menus or
// navigation around its text. The main text is kept, the navigation not.
func TestReadableDebianDocs(t *testing.T) {
	cases := []struct {
		file, pkg string
		title     string
		want      []string // in the main text
		gone      []string // navigation around it
	}{
		{file: "/usr/share/doc/libffi8/html/The-Basics.html", pkg: "libffi-dev",
			title: "The Basics (libffi: the portable foreign function interface library)",
			want:  []string{"Call InterFace", "ffi_prep_cif", "FFI_DEFAULT_ABI"},
			// Texinfo's header: "Next: Simple Example, Up: Using libffi".
			gone: []string{"Next:", "Up:"}},
		{file: "/usr/share/doc/python3/python-policy.html", pkg: "python3-dev",
			title: "Debian Python Policy",
			want:  []string{"packaging of Python within the Debian", "Copyright"},
			// Sphinx's sidebar and its related-pages bar.
			gone: []string{"Navigation", "Table of Contents", "Quick search"}},
		{file: "/usr/share/doc/libxslt1-dev/html/html/libxslt-templates.html", pkg: "libxslt1-dev",
			title: "Module templates from libxslt",
			want:  []string{"xsltAttrTemplateProcess", "Attribute Value Templates"},
			// The old xmlsoft.org sidebar.
			gone: []string{"Main Menu", "API Indexes", "Related links"}},
	}
	for _, c := range cases {
		t.Run(c.pkg, func(t *testing.T) {
			body, err := os.ReadFile(c.file)
			if err != nil {
				if os.Getenv("AIWFE_REQUIRE_PEERS") == "1" {
					t.Fatalf("%s (from %s; scripts/test-deps.sh installs it): %v", c.file, c.pkg, err)
				}
				t.Skipf("%s not installed (package %s)", c.file, c.pkg)
			}
			u, _ := url.Parse("https://docs.example/" + c.pkg + "/page.html")
			p, err := research.Readable(body, u)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(p.Title, c.title) {
				t.Errorf("title %q, want %q", p.Title, c.title)
			}
			for _, w := range c.want {
				if !strings.Contains(p.Markdown, w) {
					t.Errorf("main text lacks %q", w)
				}
			}
			for _, g := range c.gone {
				if strings.Contains(p.Markdown, g) {
					t.Errorf("navigation %q kept", g)
				}
			}
		})
	}
}
