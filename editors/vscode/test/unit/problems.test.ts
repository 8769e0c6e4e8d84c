import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  exitText,
  installCommand,
  lastWords,
  problemView,
  pythonModuleInterpreter,
  settingScope,
  SetupProblem,
  shellQuote,
} from '../../src/common/problems';

describe('settingScope', () => {
  it('is where the winning value lives: folder over workspace over user', () => {
    assert.equal(settingScope({ globalValue: ['a'], workspaceValue: ['b'] }), 'workspace');
    assert.equal(settingScope({ globalValue: ['a'], workspaceValue: [], workspaceFolderValue: ['c'] }, true), 'folder');
    assert.equal(settingScope({ workspaceValue: ['c'], workspaceFolderValue: ['c'] }), 'workspace', 'one folder open: its settings are the workspace settings');
    assert.equal(settingScope({ globalValue: ['a'] }), 'user');
    assert.equal(settingScope({ globalValue: [] }), undefined);
    assert.equal(settingScope(undefined), undefined);
  });
});

describe('problemView', () => {
  const all: SetupProblem[] = [
    { kind: 'path-not-executable', command: '/nonexistent/agentls', missing: true, scope: 'workspace' },
    { kind: 'python-lacks-agentls', interpreter: ['/usr/bin/python3'], scope: 'user' },
    { kind: 'not-found', interpreter: ['/venv/bin/python'], python: '/usr/bin/python3', pythonExtension: true },
    { kind: 'not-found', python: '/usr/bin/python3', pythonExtension: false },
    { kind: 'not-found', pythonExtension: false },
    { kind: 'crashed', command: '/x/agentls serve', source: 'PATH', fromSetting: false, during: 'start', exit: 'exit 1', lastWords: "ModuleNotFoundError: No module named 'pygls'", stops: 0 },
    { kind: 'crashed', command: '/x/agentls serve', source: 's', fromSetting: true, scope: 'folder', during: 'run', exit: 'signal SIGKILL', lastWords: '', stops: 4 },
    { kind: 'no-git' },
  ];

  it('never shows backticks, and always offers the logs', () => {
    for (const problem of all) {
      const view = problemView(problem);
      assert.doesNotMatch(view.message, /`/, view.message);
      assert.ok(view.actions.some((a) => a.id === 'show-logs'), problem.kind);
      assert.ok(view.status.text.length > 0 && view.status.text.length < 30, view.status.text);
    }
  });

  it('names the wrong path and opens the settings where it is set', () => {
    const view = problemView(all[0]);
    assert.match(view.message, /agentls\.server\.path in your Workspace settings is \/nonexistent\/agentls, which does not exist/);
    assert.deepEqual(view.actions.find((a) => a.id === 'open-settings'), { id: 'open-settings', label: 'Open Settings', scope: 'workspace' });
    assert.ok(!view.actions.some((a) => a.id === 'install'), 'installing does not fix a wrong path');
    assert.match(problemView({ ...all[0], missing: false } as SetupProblem).message, /not an executable file/);
  });

  it('installs into the configured interpreter, not PATH\'s python3', () => {
    const view = problemView(all[1]);
    assert.match(view.message, /the Python in agentls\.server\.path \(User settings\), \/usr\/bin\/python3, cannot import agentls/);
    assert.deepEqual(view.actions.find((a) => a.id === 'install'), { id: 'install', label: 'Install agentls', interpreter: ['/usr/bin/python3'] });
    const selected = problemView(all[2]);
    assert.match(selected.message, /the selected Python interpreter, \/venv\/bin\/python, cannot import agentls/);
    assert.deepEqual(selected.actions.find((a) => a.id === 'install'), { id: 'install', label: 'Install agentls', interpreter: ['/venv/bin/python'] });
    assert.ok(selected.actions.some((a) => a.id === 'select-interpreter'));
    const nothing = problemView(all[3]);
    assert.match(nothing.message, /Install agentls with \/usr\/bin\/python3/);
    assert.match(nothing.message, /the Python extension is not installed/);
    assert.ok(!problemView(all[4]).actions.some((a) => a.id === 'install'), 'no python3 at all: nothing to install with');
  });

  it('says why a server stopped, from its last words', () => {
    const start = problemView(all[5]);
    assert.match(start.message, /stopped while starting \(exit 1\): ModuleNotFoundError: No module named 'pygls'/);
    assert.doesNotMatch(start.message, /Pending response/);
    const often = problemView(all[6]);
    assert.match(often.message, /stopped 4 times/);
    assert.ok(often.actions.some((a) => a.id === 'restart'));
    assert.ok(often.actions.some((a) => a.id === 'open-settings' && a.scope === 'folder'));
  });
});

describe('helpers', () => {
  it('finds the interpreter of a python -m agentls command', () => {
    assert.deepEqual(pythonModuleInterpreter('/usr/bin/python3', ['-m', 'agentls', 'serve']), ['/usr/bin/python3']);
    assert.deepEqual(pythonModuleInterpreter('/v/bin/python', ['-X', 'utf8', '-m', 'agentls']), ['/v/bin/python', '-X', 'utf8']);
    assert.equal(pythonModuleInterpreter('/v/bin/agentls', ['serve']), undefined);
    assert.equal(pythonModuleInterpreter('/v/bin/python', ['-m', 'other']), undefined);
  });

  it('quotes what it types into a terminal', () => {
    assert.equal(installCommand(['/usr/bin/python3']), '/usr/bin/python3 -m pip install agentls');
    assert.equal(installCommand(["/home/me/my env/bin/python"]), "'/home/me/my env/bin/python' -m pip install agentls");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
  });

  it('keeps the last line of a traceback and says how a process ended', () => {
    assert.equal(lastWords('Traceback (most recent call last):\n  File "x"\nModuleNotFoundError: No module named \'agentls\'\n\n'), "ModuleNotFoundError: No module named 'agentls'");
    assert.equal(lastWords(''), '');
    assert.equal(exitText(1, null), 'exit 1');
    assert.equal(exitText(null, 'SIGKILL'), 'signal SIGKILL');
  });
});
