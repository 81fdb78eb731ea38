/** Data Django puts into index.html (crm/builder/views.py): user, tenants, URLs. */
export interface BootTenant {
  slug: string;
  name: string;
  role: string;
}

export interface Boot {
  user: string;
  tenants: BootTenant[];
  base: string;
  api: string;
  logout: string;
}

const FALLBACK: Boot = { user: '', tenants: [], base: '/builder/', api: '/api', logout: '/builder/logout/' };

export function readBoot(): Boot {
  const element = document.getElementById('builder-boot');
  if (!element?.textContent) return FALLBACK;
  try {
    return { ...FALLBACK, ...(JSON.parse(element.textContent) as Partial<Boot>) };
  } catch {
    return FALLBACK;
  }
}

const TENANT_KEY = 'builder.tenant';

export function chooseTenant(boot: Boot): string | null {
  const saved = localStorage.getItem(TENANT_KEY);
  if (saved && boot.tenants.some((t) => t.slug === saved)) return saved;
  return boot.tenants[0]?.slug ?? null;
}

export function rememberTenant(slug: string): void {
  localStorage.setItem(TENANT_KEY, slug);
}
