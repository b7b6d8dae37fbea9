/**
 * A `.gitignore` matcher for the subset of the syntax that real repositories use: comments,
 * blank lines, `!` negation, a leading or inner `/` anchoring to the file's folder, a trailing `/`
 * for folders only, `*`, `?`, `[...]` and `**`. Rules from nested `.gitignore` files apply below
 * their folder; later rules win.
 */

interface Rule {
  /** Folder of the .gitignore that holds the rule ('' = root), with a trailing slash unless root. */
  base: string;
  re: RegExp;
  negate: boolean;
  dirOnly: boolean;
}

function globToRegex(glob: string, anchored: boolean): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` = any number of folders; a trailing `**` = everything below
        const slash = glob[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < glob.length) re += '\\' + glob[++i];
    else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  // An unanchored pattern matches at any depth; a match on a folder covers everything below it.
  return new RegExp(`^${anchored ? '' : '(?:.*/)?'}${re}(?:/.*)?$`);
}

function parseRules(text: string, base: string): Rule[] {
  const rules: Rule[] = [];
  for (let line of text.split(/\r?\n/)) {
    if (!line.trim() || line.startsWith('#')) continue;
    line = line.replace(/(?<!\\)\s+$/, '');
    let negate = false;
    if (line.startsWith('!')) {
      negate = true;
      line = line.slice(1);
    }
    if (line.startsWith('\\')) line = line.slice(1);
    let dirOnly = false;
    if (line.endsWith('/')) {
      dirOnly = true;
      line = line.slice(0, -1);
    }
    const anchored = line.includes('/');
    if (line.startsWith('/')) line = line.slice(1);
    if (!line) continue;
    rules.push({ base, re: globToRegex(line, anchored), negate, dirOnly });
  }
  return rules;
}

export class GitIgnore {
  private rules: Rule[] = [];

  /** Add the rules of the `.gitignore` found in `folder` ('' for the root). */
  add(folder: string, text: string): void {
    const base = folder && !folder.endsWith('/') ? folder + '/' : folder;
    this.rules.push(...parseRules(text, base));
  }

  /** Whether `path` (a file, or a folder when `isDir`) is ignored. */
  ignores(path: string, isDir = false): boolean {
    // A file inside an ignored folder is ignored whatever later rules say about the file (git
    // does not look into ignored folders), so check each parent folder first.
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      if (this.match(parts.slice(0, i).join('/'), true)) return true;
    }
    return this.match(path, isDir);
  }

  private match(path: string, isDir: boolean): boolean {
    let ignored = false;
    for (const r of this.rules) {
      if (r.base && !path.startsWith(r.base)) continue;
      const rel = path.slice(r.base.length);
      // `build/` names folders only; files below such a folder were caught by ignores()' parent check
      if (r.dirOnly && !isDir) continue;
      if (!r.re.test(rel)) continue;
      ignored = !r.negate;
    }
    return ignored;
  }
}
