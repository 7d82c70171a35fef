// Command pulumi-language-nodejs is a small Node.js language host for the Pulumi CLI.
//
// Why it exists: Pulumi's own language host is a separate Go module that the module
// proxy our machines reach does not serve, while the CLI itself builds from Pulumi's
// published modules. This host implements the part of the LanguageRuntime protocol that
// `pulumi preview/up/refresh/destroy` use, and runs programs with the real runner that
// ships in the @pulumi/pulumi npm package (`@pulumi/pulumi/cmd/run`), so the engine,
// the SDK and the program are all Pulumi's; only the process launcher is ours.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/nodejs/npm"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// The @pulumi/pulumi release this host is built and tested with.
const version = "3.248.0"

// The runner exits with this code after it has shown the user an actionable message.
const exitAfterUserMessage = 32

func main() {
	tracing := flag.String("tracing", "", "emit tracing to a Zipkin-compatible endpoint (accepted, unused)")
	showVersion := flag.Bool("version", false, "print the version and exit")
	// logging registers -v and -logtostderr, which the CLI passes with --logflow.
	logging.InitLogging(false, 0, false)
	flag.Parse()
	if *showVersion {
		fmt.Println(version)
		return
	}
	_ = tracing
	args := flag.Args()
	engineAddress := ""
	if len(args) > 0 {
		engineAddress = args[len(args)-1]
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	host := &languageHost{engineAddress: engineAddress, ctx: ctx}
	cancelChannel := make(chan bool)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelChannel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not start the gRPC server: %v\n", err)
		os.Exit(1)
	}
	// The CLI reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
	ctx           context.Context
}

func (h *languageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// Programs using pulumi-dts need no resource plugins: dynamic providers run in
// the pulumi-nodejs provider that ships with @pulumi/pulumi.
func (h *languageHost) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *languageHost) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *languageHost) GetProgramDependencies(context.Context, *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *languageHost) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("running node --version: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: node,
		Version:    strings.TrimSpace(string(out)),
		Metadata:   map[string]string{"packagemanager": "npm", "host": "pulumi-dts"},
	}, nil
}

func (h *languageHost) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *languageHost) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// InstallDependencies runs the project's package manager (`pulumi install`).
func (h *languageHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.IsTerminal)
	if err != nil {
		return err
	}
	defer closer.Close()
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetDirectory() //nolint:staticcheck // older CLIs send only this
	}
	_, err = npm.Install(server.Context(), npm.AutoPackageManager, dir, false, stdout, stderr)
	return err
}

func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on the $PATH: " + err.Error()}, nil
	}
	info := req.GetInfo()
	programDir := info.GetProgramDirectory()
	if programDir == "" {
		programDir = req.GetPwd() //nolint:staticcheck
	}
	runPath, err := resolveRunner(node, programDir)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	opts := info.GetOptions().AsMap()
	var args []string
	if nodeargs, ok := opts["nodeargs"].(string); ok && nodeargs != "" {
		args = append(args, strings.Fields(nodeargs)...)
	}
	args = append(args, runPath)
	flagPair := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flagPair("monitor", req.GetMonitorAddress())
	flagPair("engine", h.engineAddress)
	flagPair("organization", req.GetOrganization())
	flagPair("project", req.GetProject())
	flagPair("root-directory", info.GetRootDirectory())
	flagPair("stack", req.GetStack())
	flagPair("pwd", programDir)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	args = append(args, "--parallel", strconv.Itoa(int(req.GetParallel())))
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	env, err := runEnvironment(req, opts)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = programDir
	cmd.Env = env
	// Node may switch a shared stdout to non-blocking mode; hand it a wrapper, not the file.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() == exitAfterUserMessage:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exitErr):
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode())}, nil
	default:
		return &pulumirpc.RunResponse{Error: "Problem executing program (could not run language executor): " + err.Error()}, nil
	}
}

// resolveRunner finds @pulumi/pulumi/cmd/run the way the program itself would require it.
func resolveRunner(node, programDir string) (string, error) {
	spec := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if spec == "" {
		spec = "@pulumi/pulumi/cmd/run"
	}
	script := fmt.Sprintf(`try { console.log(require.resolve(%q)); } catch (e) {
  if (e.code === "MODULE_NOT_FOUND") { console.error("It looks like the Pulumi SDK has not been installed. Have you run npm install?"); } else { console.error(e.message); }
  process.exit(1);
}`, spec)
	cmd := exec.Command(node, "-e", script)
	cmd.Dir = programDir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s", strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// runEnvironment passes configuration the way @pulumi/pulumi's runtime reads it.
func runEnvironment(req *pulumirpc.RunRequest, opts map[string]any) ([]string, error) {
	cfg := map[string]string{}
	for k, v := range req.GetConfig() {
		key, err := config.ParseKey(k)
		if err != nil {
			return nil, fmt.Errorf("invalid config key %q: %w", k, err)
		}
		cfg[key.Namespace()+":config:"+key.Name()] = v
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), "PULUMI_CONFIG="+string(cfgJSON), "PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))
	typescript := true
	if v, ok := opts["typescript"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			return nil, fmt.Errorf("runtime option typescript must be a boolean, got %v", v)
		}
		typescript = b
	}
	if typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if tsconfig, ok := opts["tsconfig"].(string); ok && tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+tsconfig)
	}
	return env, nil
}
