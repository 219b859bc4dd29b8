package integration

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// layers ranks the role folders (those under internal/ by their own name):
// a package may import packages of a lower rank, and of its own folder
// where the rules below allow. The services never import each other; the
// workflow imports only the saga's definition and the platform, since
// everything else does I/O. The lab sits above the product it drives, and
// only cmd/ plugs it in.
var layers = map[string]int{
	"platform": 0, "saga": 1, "messaging": 2, "services": 3, "workflows": 3,
	"activities": 4, "workers": 5, "starter": 5, "lab": 6, "cmd": 7, "integration": 8, "deploy": 8,
}

// rel is a package's path in the module, without internal/: the role
// folders read the same inside it.
func rel(pkg string) string {
	return strings.TrimPrefix(strings.TrimPrefix(pkg, module), "internal/")
}

const module = "github.com/sagaforge/saga/"

func TestImportsFollowTheLayers(t *testing.T) {
	// With -test: each package's internal tests are checked with it; an
	// external test package (pkg_test) may reach above its package's layer,
	// as a test of the real thing does.
	cmd := exec.Command("go", "list", "-test", "-f", `{{.ImportPath}}|{{join .Imports " "}}`, "./...")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	folder := func(pkg string) string { top, _, _ := strings.Cut(rel(pkg), "/"); return top }
	// service is "services/order" for the order service and its api
	// package; the other folders of services/ are shared by all three.
	isService := map[string]bool{"services/order": true, "services/inventory": true, "services/payment": true}
	service := func(rel string) string {
		return strings.Join(strings.SplitN(rel, "/", 3)[:min(2, strings.Count(rel, "/")+1)], "/")
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, imports, _ := strings.Cut(line, "|")
		pkg, _, _ := strings.Cut(path, " ")
		if !strings.HasPrefix(pkg, module) || strings.HasSuffix(pkg, "_test") || strings.HasSuffix(pkg, ".test") {
			continue
		}
		fields := append([]string{pkg}, strings.Fields(imports)...)
		from, rel := folder(pkg), rel(pkg)
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, module) || strings.HasPrefix(rel, strings.TrimPrefix(imp, module)) {
				continue
			}
			to, irel := folder(imp), strings.TrimPrefix(strings.TrimPrefix(imp, module), "internal/")
			switch {
			case from == "workflows" && to != "saga" && to != "platform":
				t.Errorf("%s imports %s: the workflow is deterministic and imports only saga/ and platform/", rel, irel)
			case from == "services" && to == "services" && isService[service(rel)] && isService[service(irel)] && service(rel) != service(irel):
				t.Errorf("%s imports %s: a service does not import another", rel, irel)
			case from == "services" && !isService[service(rel)] && isService[service(irel)] && !strings.HasSuffix(irel, "api"):
				t.Errorf("%s imports %s: shared code reaches a service through its api package only", rel, irel)
			case layers[to] > layers[from]:
				t.Errorf("%s imports %s: %s/ sits above %s/", rel, irel, to, from)
			}
		}
	}
}

// The product runs without its lab: no package of the runtime (the
// design card's folders and internal/) depends on lab/, directly or
// through another; the lab plugs into the runtime's seams from cmd/.
func TestRuntimeLinksNoLab(t *testing.T) {
	list := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`,
		"./workflows/...", "./activities/...", "./workers/...", "./starter/...", "./internal/...")
	list.Dir = ".."
	out, err := list.Output()
	if err != nil {
		t.Fatal(err)
	}
	runtime := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := fields[0]
		if !strings.HasPrefix(pkg, module) || strings.HasPrefix(pkg, module+"lab/") {
			continue
		}
		runtime++
		for _, dep := range fields[1:] {
			if strings.HasPrefix(dep, module+"lab/") {
				t.Errorf("%s depends on %s: the runtime does not link the lab", rel(pkg), strings.TrimPrefix(dep, module))
			}
		}
	}
	if runtime < 20 {
		t.Fatalf("go list found %d runtime packages; the test lists the wrong folders", runtime)
	}
}

// The worker and the starter reach the services through their api
// packages only: they link no store, no gorm and no database driver, and
// build without cgo.
func TestClientsLinkNoStore(t *testing.T) {
	list := exec.Command("go", "list", "-deps", "./cmd/starter", "./cmd/worker")
	list.Dir = ".."
	out, err := list.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "gorm.io/") || strings.Contains(dep, "sqlite") || strings.Contains(dep, "jackc/pgx") {
			t.Errorf("the worker or the starter links %s", dep)
		}
	}
	build := exec.Command("go", "build", "./cmd/starter", "./cmd/worker")
	build.Dir = ".."
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build ./cmd/starter ./cmd/worker: %v\n%s", err, out)
	}
}
