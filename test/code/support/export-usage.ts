// Who uses each exported symbol, and each member of an exported class or interface, read with the
// TypeScript compiler over every source file `tsconfig.test.json` checks. One pass resolves every
// identifier to the symbol it names (through imports, unions and instantiations, object literals
// typed by their context, destructuring and `implements`), so the answer is checked, not eyeballed.
// `node --import tsx test/code/support/export-usage.ts` prints the table.
import { join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..', '..');

/**
 * The package entry points whose exports are the packages' documented API, and so are used by
 * definition. `@sse-gateway/publisher/protocol` is not among them: it is the seam the SDK and the
 * gateway share, and each of its exports needs a caller in the repository.
 */
export const PUBLIC_ENTRIES = ['schemas/src/index.ts', 'publisher-sdk/src/index.ts', 'client/src/index.ts'];

/** The workspace packages, resolved to their sources as Jest resolves them (not to their dist/). */
const PACKAGE_SOURCES: Record<string, string> = {
  '@sse-gateway/schemas': 'schemas/src/index.ts',
  '@sse-gateway/publisher': 'publisher-sdk/src/index.ts',
  '@sse-gateway/publisher/protocol': 'publisher-sdk/src/protocol/index.ts',
  '@sse-gateway/client': 'client/src/index.ts',
};

/** Test code: a use there does not keep a symbol alive. */
export function isTestFile(path: string): boolean {
  return path.startsWith('test/') || /\.test\.ts$/.test(path);
}

export interface Usage {
  /** `file.ts#name`, or `file.ts#Owner.member` for a member. */
  readonly id: string;
  readonly file: string;
  /**
   * `export`; `class-member` (public); `option`: a member of an options object (an interface or
   * type named …Options, …Settings, …Deps, …Extras, …Init, or a parameter's type literal);
   * `method`: a method of any other interface or object type; `property`: any other member of an
   * interface or object type (data shapes, JSON bodies).
   */
  readonly kind: 'export' | 'class-member' | 'option' | 'method' | 'property';
  /** Reachable from a public entry point (an export, or a member of an exported type). */
  readonly isPublic: boolean;
  /** Files outside tests (the declaring file included) that read it. */
  readonly readers: ReadonlySet<string>;
  /** Files outside tests that assign it (members only: `x.m = …`, `{ m: … }` where the type is wanted). */
  readonly writers: ReadonlySet<string>;
  /** Test files that use it. */
  readonly tests: ReadonlySet<string>;
  /** An optional property (members only): one that no code outside tests sets is never used. */
  readonly optional: boolean;
}

interface Tally {
  readers: Set<string>;
  writers: Set<string>;
  tests: Set<string>;
}

function createProgram(): ts.Program {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.test.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error('tsconfig.test.json could not be read');
  const paths = Object.fromEntries(Object.entries(PACKAGE_SOURCES).map(([name, file]) => [name, [join(ROOT, file)]]));
  return ts.createProgram(parsed.fileNames, { ...parsed.options, noEmit: true, paths });
}

/** The project's own source files (no declaration files, nothing from node_modules). */
function ownFiles(program: ts.Program): ts.SourceFile[] {
  return program.getSourceFiles().filter((sf) => !sf.isDeclarationFile && !sf.fileName.includes('/node_modules/'));
}

const rel = (sf: ts.SourceFile): string => relative(ROOT, sf.fileName);

/** Reads every identifier of the program and tallies which files read or write which symbol. */
class UseCollector {
  readonly tallies = new Map<ts.Symbol, Tally>();

  constructor(private readonly checker: ts.TypeChecker) {}

  tally(symbol: ts.Symbol): Tally {
    let tally = this.tallies.get(symbol);
    if (!tally) this.tallies.set(symbol, (tally = { readers: new Set(), writers: new Set(), tests: new Set() }));
    return tally;
  }

  collect(sf: ts.SourceFile): void {
    const file = rel(sf);
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node)) this.identifier(node, file);
      else if (ts.isSpreadAssignment(node)) this.passed(this.checker.getContextualType(node.parent), node.expression, file);
      else if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
        for (const argument of node.arguments ?? []) this.passed(this.checker.getContextualType(argument), argument, file);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }

  /**
   * `{ ...value }` or `f(value)` where a type is expected: a write of each of that type's
   * properties the value carries (an options object built beforehand and passed on).
   */
  passed(wanted: ts.Type | undefined, value: ts.Expression, file: string): void {
    if (!wanted || ts.isObjectLiteralExpression(value)) return;
    for (const property of this.checker.getNonNullableType(this.checker.getTypeAtLocation(value)).getProperties()) {
      for (const part of wanted.isUnion() ? wanted.types : [wanted]) {
        const receiver = part.getProperty(property.name);
        if (!receiver || this.same(receiver, property)) continue;
        this.use(property, file, false); // handed on: read here, for whoever receives it
        this.use(receiver, file, true);
      }
    }
  }

  private identifier(id: ts.Identifier, file: string): void {
    const parent = id.parent;
    // A declaration's own name is not a use of it (but a parameter property or a shorthand is).
    if (isDeclarationName(id)) {
      if (ts.isPropertyAssignment(parent) || ts.isMethodDeclaration(parent) || ts.isShorthandPropertyAssignment(parent)) {
        this.contextualProperty(parent, id.text, file);
      }
      if (ts.isShorthandPropertyAssignment(parent)) this.use(this.checker.getShorthandAssignmentValueSymbol(parent), file, false);
      if (ts.isBindingElement(parent) && parent.propertyName === undefined) this.bindingProperty(parent, id.text, file);
      return;
    }
    if (ts.isBindingElement(parent) && parent.propertyName === id) {
      this.bindingProperty(parent, id.text, file);
      return;
    }
    this.use(this.checker.getSymbolAtLocation(id), file, isWrite(id));
  }

  /** `{ name: … }` where a type is expected: a write of that type's property. */
  private contextualProperty(property: ts.ObjectLiteralElementLike, name: string, file: string): void {
    const literal = property.parent;
    if (!ts.isObjectLiteralExpression(literal)) return;
    const type = this.checker.getContextualType(literal);
    if (!type) return;
    for (const part of type.isUnion() ? type.types : [type]) this.use(part.getProperty(name), file, true);
  }

  /** `const { name } = value`: a read of the value's property. */
  private bindingProperty(element: ts.BindingElement, name: string, file: string): void {
    const type = this.checker.getTypeAtLocation(element.parent);
    for (const part of type.isUnion() ? type.types : [type]) this.use(part.getProperty(name), file, false);
  }

  private readonly roots = new Map<ts.Symbol, readonly ts.Symbol[]>();

  /** The declared symbols behind `symbol` (a union's or an instantiation's property is synthetic). */
  rootsOf(symbol: ts.Symbol): readonly ts.Symbol[] {
    let roots = this.roots.get(symbol);
    if (!roots) this.roots.set(symbol, (roots = this.checker.getRootSymbols(symbol)));
    return roots;
  }

  private same(a: ts.Symbol, b: ts.Symbol): boolean {
    const roots = this.rootsOf(a);
    return this.rootsOf(b).some((root) => roots.includes(root));
  }

  use(symbol: ts.Symbol | undefined, file: string, write: boolean): void {
    if (!symbol) return;
    const target = symbol.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(symbol) : symbol;
    for (const root of this.rootsOf(target)) {
      const tally = this.tally(root);
      if (isTestFile(file)) tally.tests.add(file);
      else (write ? tally.writers : tally.readers).add(file);
    }
  }
}

function isDeclarationName(id: ts.Identifier): boolean {
  const parent = id.parent as ts.NamedDeclaration;
  if (parent.name !== id) return false;
  return ts.isDeclarationStatement(parent) || ts.isClassElement(parent) || ts.isTypeElement(parent) || ts.isObjectLiteralElement(parent)
    || ts.isVariableDeclaration(parent) || ts.isBindingElement(parent) || ts.isParameter(parent) || ts.isEnumMember(parent)
    || ts.isTypeParameterDeclaration(parent) || ts.isClassExpression(parent) || ts.isFunctionExpression(parent);
}

/** `x.name = …`, `x.name += …`, `x.name++`: the property is written, not read. */
function isWrite(id: ts.Identifier): boolean {
  let node: ts.Node = id;
  if (ts.isPropertyAccessExpression(node.parent) && node.parent.name === node) node = node.parent;
  const parent = node.parent;
  if (ts.isBinaryExpression(parent) && parent.left === node) {
    return parent.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && parent.operatorToken.kind <= ts.SyntaxKind.LastAssignment;
  }
  return (ts.isPrefixUnaryExpression(parent) || ts.isPostfixUnaryExpression(parent))
    && (parent.operator === ts.SyntaxKind.PlusPlusToken || parent.operator === ts.SyntaxKind.MinusMinusToken);
}

interface Declared {
  readonly id: string;
  readonly file: string;
  readonly kind: Usage['kind'];
  readonly symbol: ts.Symbol;
  readonly optional: boolean;
  /** Symbols whose use is a use of this one: the members it implements or overrides. */
  readonly bases: ts.Symbol[];
}

/** The exports a file declares itself (re-exports are counted where they are declared). */
function declaredExports(checker: ts.TypeChecker, sf: ts.SourceFile): ts.Symbol[] {
  const module = checker.getSymbolAtLocation(sf);
  if (!module) return [];
  return checker.getExportsOfModule(module).filter((symbol) => symbol.declarations?.some((d) => d.getSourceFile() === sf)
    && !(symbol.flags & ts.SymbolFlags.Alias));
}

/** Public members of a class, or the members of an interface or object type literal. */
function membersOf(checker: ts.TypeChecker, declaration: ts.Node): { member: ts.Symbol; bases: ts.Symbol[] }[] {
  if (ts.isClassLike(declaration)) {
    const heritage = (declaration.heritageClauses ?? []).flatMap((clause) => clause.types.map((t) => checker.getTypeAtLocation(t)));
    return declaration.members
      .filter((m) => m.name && !ts.isConstructorDeclaration(m) && !ts.isPrivateIdentifier(m.name) && !ts.isClassStaticBlockDeclaration(m))
      .filter((m) => !(ts.getCombinedModifierFlags(m as ts.Declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)))
      .flatMap((m) => {
        const member = checker.getSymbolAtLocation(m.name!);
        if (!member) return [];
        return [{ member, bases: heritage.flatMap((t) => t.getProperty(member.name) ?? []) }];
      });
  }
  if (ts.isInterfaceDeclaration(declaration) || ts.isTypeLiteralNode(declaration)) {
    return declaration.members.flatMap((m) => {
      const member = m.name && checker.getSymbolAtLocation(m.name);
      return member ? [{ member, bases: [] }] : [];
    });
  }
  return [];
}

/** The name a reader knows an owner of members by: its own, or that of what it types. */
function ownerName(node: ts.Node): string {
  for (let at: ts.Node | undefined = node; at; at = at.parent) {
    const name = (at as ts.NamedDeclaration).name;
    if (name && ts.isIdentifier(name)) return name.text;
  }
  return '(anonymous)';
}

const OPTION_TYPE = /(Options|Settings|Deps|Extras|Init)$/;

function memberKind(owner: ts.Node): Exclude<Usage['kind'], 'export'> {
  if (!owner.parent) return 'property';
  if (ts.isClassLike(owner)) return 'class-member';
  if (ts.isInterfaceDeclaration(owner)) return OPTION_TYPE.test(owner.name.text) ? 'option' : 'property';
  if (ts.isTypeAliasDeclaration(owner.parent)) return OPTION_TYPE.test(owner.parent.name.text) ? 'option' : 'property';
  return ts.isParameter(owner.parent) ? 'option' : 'property';
}

/** Every export of every source file outside tests, and every member of its classes and object types. */
function declarations(checker: ts.TypeChecker, files: ts.SourceFile[]): Declared[] {
  const out: Declared[] = [];
  for (const sf of files.filter((f) => !isTestFile(rel(f)))) {
    const file = rel(sf);
    for (const symbol of declaredExports(checker, sf)) {
      out.push({ id: `${file}#${symbol.name}`, file, kind: 'export', symbol, optional: false, bases: [] });
    }
    const visit = (node: ts.Node): void => {
      const ownerKind = memberKind(node);
      for (const { member, bases } of membersOf(checker, node)) {
        const kind = ownerKind === 'property' && member.declarations?.some(ts.isMethodSignature) ? 'method' : ownerKind;
        const optional = (member.flags & ts.SymbolFlags.Optional) !== 0;
        out.push({ id: `${file}#${ownerName(node)}.${member.name}`, file, kind, symbol: member, optional, bases });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}

/** What the public entry points export (followed through `export *`), and their members. */
function publicSymbols(checker: ts.TypeChecker, program: ts.Program): Set<ts.Symbol> {
  const out = new Set<ts.Symbol>();
  for (const entry of PUBLIC_ENTRIES) {
    const sf = program.getSourceFile(join(ROOT, entry));
    const module = sf && checker.getSymbolAtLocation(sf);
    if (!module) throw new Error(`public entry point ${entry} is not in the program`);
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      out.add(symbol);
      for (const declaration of symbol.declarations ?? []) for (const { member } of membersOf(checker, declaration)) out.add(member);
    }
  }
  return out;
}

/** Reads the whole project and tells, for every export and member of an exported type, who uses it. */
export function analyseUsage(): Usage[] {
  const program = createProgram();
  const checker = program.getTypeChecker();
  const files = ownFiles(program);
  const collector = new UseCollector(checker);
  for (const sf of files) collector.collect(sf);
  const publics = publicSymbols(checker, program);
  const empty: Tally = { readers: new Set(), writers: new Set(), tests: new Set() };
  return declarations(checker, files).map(({ id, file, kind, symbol, optional, bases }) => {
    const tallies = [symbol, ...bases].flatMap((s) => collector.rootsOf(s)).map((s) => collector.tallies.get(s) ?? empty);
    const merge = (pick: (t: Tally) => Set<string>): Set<string> => new Set(tallies.flatMap((t) => [...pick(t)]));
    const isPublic = [symbol, ...bases].some((s) => collector.rootsOf(s).some((root) => publics.has(root)));
    return { id, file, kind, isPublic, optional, readers: merge((t) => t.readers), writers: merge((t) => t.writers), tests: merge((t) => t.tests) };
  });
}

if (require.main === module) {
  const started = Date.now();
  const usages = analyseUsage();
  for (const u of usages) {
    const importers = [...u.readers].filter((f) => f !== u.file);
    console.log([u.id, u.kind, u.isPublic ? 'public' : '', `readers=${[...u.readers].join(',')}`, `writers=${[...u.writers].join(',')}`, `tests=${u.tests.size}`, u.optional ? 'optional' : '', importers.length].join('\t'));
  }
  console.error(`${usages.length} symbols in ${Date.now() - started} ms`);
}
