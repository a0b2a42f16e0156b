package modelfile

import "testing"

// An artefact path is read relative to its model file; a reference to the
// database is kept as written.
func TestArtifactReferences(t *testing.T) {
	for _, tc := range []struct{ file, artifact, want string }{
		{"models/learned.yaml", "model.json", "models/model.json"},
		{"models/learned.yaml", "/srv/model.json", "/srv/model.json"},
		{"models/learned.yaml", "store:learned", "store:learned"},
		{"/etc/leadscore/models.yaml", "store:learned@3f9a1c2b7d40", "store:learned@3f9a1c2b7d40"},
	} {
		res := Parse(tc.file, []byte("name: learned\nkind: predictive\nartifact: "+tc.artifact+"\n"))
		if res.HasErrors() || len(res.Specs) != 1 {
			t.Fatalf("%s: %v", tc.artifact, res.Errors())
		}
		if got := res.Specs[0].Artifact; got != tc.want {
			t.Errorf("%s in %s: %q, want %q", tc.artifact, tc.file, got, tc.want)
		}
	}
}
