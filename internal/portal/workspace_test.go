package portal

import (
	"reflect"
	"strings"
	"testing"
)

func TestNewWorkspaceChecked(t *testing.T) {
	for in, want := range map[NewWorkspace]NewWorkspace{
		{Name: " Brightline Agency ", OwnerEmail: " Maya@Brightline.Example "}:              {Name: "Brightline Agency", Slug: "brightline-agency", OwnerEmail: "maya@brightline.example", OwnerName: "maya"},
		{Name: "Müller & Söhne GmbH!", OwnerEmail: "a@b.example", OwnerName: "Anna Müller"}: {Name: "Müller & Söhne GmbH!", Slug: "m-ller-s-hne-gmbh", OwnerEmail: "a@b.example", OwnerName: "Anna Müller"},
		{Name: "Acme", Slug: "acme-2", OwnerEmail: "o@acme.example"}:                        {Name: "Acme", Slug: "acme-2", OwnerEmail: "o@acme.example", OwnerName: "o"},
		{Name: strings.Repeat("ab ", 40), OwnerEmail: "o@x.example"}:                        {Name: strings.TrimSpace(strings.Repeat("ab ", 40)), Slug: strings.TrimSuffix(strings.Repeat("ab-", 21), "-"), OwnerEmail: "o@x.example", OwnerName: "o"},
	} {
		got, err := in.Checked()
		if err != nil || got != want {
			t.Errorf("%+v: %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, c := range []struct {
		in     NewWorkspace
		fields []string
	}{
		{NewWorkspace{}, []string{"name", "slug", "ownerEmail", "ownerName"}},
		{NewWorkspace{Name: "株式会社", OwnerEmail: "o@x.example"}, []string{"slug"}},
		{NewWorkspace{Name: "Acme", Slug: "Acme", OwnerEmail: "o@x.example"}, []string{"slug"}},
		{NewWorkspace{Name: "Acme", Slug: "acme--x", OwnerEmail: "o@x.example"}, []string{"slug"}},
		{NewWorkspace{Name: "Acme", Slug: "-acme", OwnerEmail: "o@x.example"}, []string{"slug"}},
		{NewWorkspace{Name: "Acme", OwnerEmail: "Owner <o@x.example>"}, []string{"ownerEmail"}},
		{NewWorkspace{Name: "Acme", OwnerEmail: "not an email"}, []string{"ownerEmail"}},
		{NewWorkspace{Name: strings.Repeat("x", 201), Slug: "x", OwnerEmail: "o@x.example"}, []string{"name"}},
	} {
		_, err := c.in.Checked()
		var fields []string
		if e, ok := err.(*Error); ok && e.Code == CodeBadUserInput {
			for _, f := range e.Fields {
				fields = append(fields, f.Field)
			}
		}
		if !reflect.DeepEqual(fields, c.fields) {
			t.Errorf("%+v: %v; want bad fields %v", c.in, err, c.fields)
		}
	}
}
