package llmtest

import "syscall"

// sysProcAttr puts the server in its own process group, so that killGroup
// also reaches the model runners it spawns, and has the kernel kill it if
// the test binary dies first.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }
